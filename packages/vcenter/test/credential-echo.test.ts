/**
 * vCenter (or a proxy in front of it) echoing the client's credentials back: the Authorization
 * header in a login error, the session header in a 403. The stand-in answers in each flavour's
 * documented error shape (see api-server.ts for the `/api` pages; `/rest` wraps the same vAPI
 * error as `{ type: 'com.vmware.vapi.std.errors.<name>', value: { messages } }`,
 * https://vmware.github.io/vsphere-automation-sdk-rest/vsphere/ and rest-adapter.ts), with the
 * echoed value in the message text and `args`, as vAPI messages carry their arguments.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createVCenterClient, VCenterError, type VCenterClient } from '../src/index.js';
import { captureLogs } from './helpers.js';

const USERNAME = 'administrator@vsphere.local';
const PASSWORD = 'Echo-Pa55word!';
const TOKEN = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');
const SESSION_ID = 'b00c2f3a9d6e4c1f8a7b6c5d4e3f2a1b';

type Flavour = 'api' | 'rest';
type Failure = 'login-401' | 'login-500' | 'call-403';

interface EchoServer {
  url: string;
  /** What the server put into its error bodies (to prove the echo happened). */
  echoed: string[];
  close(): Promise<void>;
}

function vapiError(flavour: Flavour, type: string, message: string, arg: string): unknown {
  const messages = [{ id: `vapi.std.errors.${type}`, default_message: message, args: [arg] }];
  return flavour === 'api'
    ? { error_type: type.toUpperCase(), messages }
    : { type: `com.vmware.vapi.std.errors.${type}`, value: { messages } };
}

async function startEchoServer(flavour: Flavour, failure: Failure): Promise<EchoServer> {
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
          flavour === 'api' ? SESSION_ID : { value: SESSION_ID },
        );
      }
      const session = req.headers['vmware-api-session-id'];
      if (session === SESSION_ID && req.method === 'DELETE') return send(204);
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
