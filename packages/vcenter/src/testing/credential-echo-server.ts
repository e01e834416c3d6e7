/**
 * vCenter (or a proxy in front of it) echoing the client's credentials back: the Authorization
 * header in a login error, the session header in a 403. It answers in each flavour's documented
 * error shape (see api-server.ts for the `/api` pages; `/rest` wraps the same vAPI error as
 * `{ type: 'com.vmware.vapi.std.errors.<name>', value: { messages } }`,
 * https://vmware.github.io/vsphere-automation-sdk-rest/vsphere/ and rest-adapter.ts), with the
 * echoed value in the message text and `args`, as vAPI messages carry their arguments.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The API flavour the server answers as. */
export type EchoFlavour = 'api' | 'rest';

/**
 * What it does: `login-401` / `login-500` refuse every login echoing the Authorization header;
 * `call-403` lets the login through (session {@link ECHO_SESSION_ID}) and refuses every call with
 * a session echoing the id.
 */
export type EchoFailure = 'login-401' | 'login-500' | 'call-403';

/** The session id `call-403` hands out. */
export const ECHO_SESSION_ID = 'b00c2f3a9d6e4c1f8a7b6c5d4e3f2a1b';

/** A running echo server. */
export interface CredentialEchoServer {
  url: string;
  /** What the server put into its error bodies (to prove the echo happened). */
  echoed: string[];
  close(): Promise<void>;
}

function vapiError(flavour: EchoFlavour, type: string, message: string, arg: string): unknown {
  const messages = [{ id: `vapi.std.errors.${type}`, default_message: message, args: [arg] }];
  return flavour === 'api'
    ? { error_type: type.toUpperCase(), messages }
    : { type: `com.vmware.vapi.std.errors.${type}`, value: { messages } };
}

/**
 * Starts an echo server on a free loopback port.
 *
 * @example
 * const vc = await startCredentialEchoServer('rest', 'login-401');
 * // VCENTER_SERVER=vc.url ... the function's init fails; vc.echoed holds the header it echoed
 */
export async function startCredentialEchoServer(
  flavour: EchoFlavour,
  failure: EchoFailure,
): Promise<CredentialEchoServer> {
  const echoed: string[] = [];
  const loginPath = flavour === 'api' ? '/api/session' : '/rest/com/vmware/cis/session';
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'POST' && path === loginPath) {
        const authorization = req.headers.authorization ?? '';
        if (failure === 'login-401' || failure === 'login-500') {
          echoed.push(authorization);
          const [status, type] =
            failure === 'login-401' ? [401, 'unauthenticated'] : [500, 'error'];
          return send(
            status,
            vapiError(
              flavour,
              type,
              `Login failed for Authorization: ${authorization}`,
              authorization,
            ),
          );
        }
        return send(
          flavour === 'api' ? 201 : 200,
          flavour === 'api' ? ECHO_SESSION_ID : { value: ECHO_SESSION_ID },
        );
      }
      const session = req.headers['vmware-api-session-id'];
      if (session === ECHO_SESSION_ID && req.method === 'DELETE') return send(204);
      if (typeof session === 'string') {
        echoed.push(session);
        return send(
          403,
          vapiError(
            flavour,
            'unauthorized',
            `Session ${session} (vmware-api-session-id=${encodeURIComponent(session)}) lacks the privilege`,
            session,
          ),
        );
      }
      return send(401);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    echoed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
