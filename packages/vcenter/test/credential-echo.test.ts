/**
 * vCenter (or a proxy in front of it) echoing the client's credentials back: the Authorization
 * header in a login error, the session header in a 403 (the stand-in is
 * `@veba-functions/vcenter/testing`'s `startCredentialEchoServer`, in both flavours' documented
 * error shapes).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createVCenterClient, VCenterError, type VCenterClient } from '../src/index.js';
import {
  ECHO_SESSION_ID as SESSION_ID,
  startCredentialEchoServer as startEchoServer,
  type CredentialEchoServer as EchoServer,
} from '../src/testing/index.js';
import { captureLogs } from './helpers.js';

const USERNAME = 'administrator@vsphere.local';
const PASSWORD = 'Echo-Pa55word!';
const TOKEN = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');

let server: EchoServer | undefined;
let client: VCenterClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

/** Everything a function could print or send on from the error, and every log line. */
function everything(error: unknown, logs: string): string {
  const e = error as VCenterError;
  const cause = e.cause as Error | undefined;
  return [
    e.message,
    String(e.stack),
    JSON.stringify(e.messages),
    JSON.stringify(e, Object.getOwnPropertyNames(e)),
    cause === undefined ? '' : `${cause.message} ${String(cause.stack)}`,
    logs,
  ].join('\n');
}

/** The password's base64 as it sits inside the token: `user:` puts it at a byte offset of 1 mod 3. */
const shift = Buffer.byteLength(`${USERNAME}:`) % 3;
const PASSWORD_IN_TOKEN = Buffer.concat([Buffer.alloc(shift), Buffer.from(PASSWORD)])
  .toString('base64')
  .slice(Math.ceil((shift * 8) / 6), Math.floor(((shift + PASSWORD.length) * 8) / 6));

const SECRETS = [PASSWORD, TOKEN, encodeURIComponent(TOKEN), SESSION_ID, PASSWORD_IN_TOKEN];

it('the token holds the password fragment the scrubber looks for', () => {
  expect(TOKEN).toContain(PASSWORD_IN_TOKEN);
  expect(PASSWORD_IN_TOKEN.length).toBeGreaterThanOrEqual(16);
});

/** A client of the echo server, logging into `logs`. */
function echoClient(flavour: 'api' | 'rest', logs: ReturnType<typeof captureLogs>): VCenterClient {
  return createVCenterClient({
    server: server!.url,
    username: USERNAME,
    password: PASSWORD,
    flavour,
    keepAliveIntervalMs: 0,
    logger: logs.logger,
  });
}

describe.each(['api', 'rest'] as const)('the %s flavour', (flavour) => {
  it.each(['login-401', 'login-500'] as const)(
    '%s echoing the Authorization header: neither the password nor the token is kept or logged',
    async (failure) => {
      server = await startEchoServer(flavour, failure);
      const logs = captureLogs();
      client = echoClient(flavour, logs);
      const error = await client.connect().catch((e: unknown) => e);
      logs.logger.error({ err: error }, 'connect failed'); // what a function's init does
      expect(error).toBeInstanceOf(VCenterError);
      expect(server.echoed).toEqual([`Basic ${TOKEN}`]);
      expect((error as VCenterError).messages.join(' ')).toContain('[REDACTED]');
      const text = everything(error, logs.text());
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    },
  );

  it('a 403 echoing the session id: the id is neither in the error (the 502 reason) nor in the logs', async () => {
    server = await startEchoServer(flavour, 'call-403');
    const logs = captureLogs();
    client = echoClient(flavour, logs);
    const error = await client.tagging
      .attach('urn:vmomi:InventoryServiceTag:t1:GLOBAL', 'vm-42')
      .catch((e: unknown) => e);
    logs.logger.warn({ err: error, reason: (error as Error).message }, 'event not processed');
    expect(error).toMatchObject({ status: 403, vapiType: 'UNAUTHORIZED', retryable: false });
    expect(server.echoed).toEqual([SESSION_ID]);
    expect((error as Error).message).toContain(
      'Session [REDACTED] (vmware-api-session-id=[REDACTED])',
    );
    const text = everything(error, logs.text());
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});
