/**
 * Local vCenter stand-ins for tests (import from `@veba-functions/vcenter/testing`): the `/api`
 * flavour vcsim lacks, with fault switches, and a server echoing credentials back. Nothing here
 * is used by the client itself.
 */
export { POWERED_ON_TAG, startApiServer, type ApiRequest, type ApiServer } from './api-server.js';
export {
  ECHO_SESSION_ID,
  startCredentialEchoServer,
  type CredentialEchoServer,
  type EchoFailure,
  type EchoFlavour,
} from './credential-echo-server.js';
