/**
 * Upstreams that echo a secret back, against every function as its container runs it (`node
 * functions/<name>/dist/main.js`, FUNCTION_DEBUG=true): every line the child printed (stdout and
 * stderr) and every HTTP answer it gave is grepped for each secret, plain, URL-encoded and base64
 * (and a password inside a Basic token).
 *
 * - Slack, Teams, Google Chat stand-ins answering errors that quote the webhook's path and token;
 * - vCenter: the `/api` stand-in refusing a call with a 403 that quotes the session id, and a
 *   re-login with a 401 that quotes the Authorization header; `/api` and `/rest` servers whose
 *   login (401, 500) or first call (403) quotes the credentials at start;
 * - Redis: a password the server does not need (ioredis warns through the console, which the
 *   runtime routes through the scrubbing logger), and a wrong password (start refused).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceiverKind } from '@veba-functions/notifier/testing';
import {
  redisCommand,
  sendCloudEvent,
  startRedis,
  type HttpReply,
  type RedisServer,
} from '@veba-functions/test-helpers';
import {
  ECHO_SESSION_ID,
  startApiServer,
  startCredentialEchoServer,
  type ApiServer,
  type CredentialEchoServer,
  type EchoFailure,
  type EchoFlavour,
} from '@veba-functions/vcenter/testing';
import { launchFailingFunction, launchFunction } from './support/child-function.js';
import { newRun } from './support/events.js';
import { FUNCTIONS, type FunctionEntry } from './support/functions.js';
import {
  apiPeer,
  isReceiverKind,
  startPeers,
  webhookSecrets,
  type Peers,
} from './support/peers.js';
import { leaks, secretForms } from './support/secrets.js';

const UNNEEDED_REDIS_PASSWORD = 'unneeded-Redis-pw-4711';
const WRONG_REDIS_PASSWORD = 'wrong-Redis-pw-0815';
const ECHO_USER = 'administrator@vsphere.local';
const ECHO_PASSWORD = 'Echo-vCenter-Pa55word!';

const WEBHOOKS = FUNCTIONS.filter((e) => isReceiverKind(e.upstream));
const VCENTER = FUNCTIONS.filter((e) => e.upstream === 'vcenter');
const STATEFUL = FUNCTIONS.filter((e) => e.dedupe);

let peers: Peers;
let sharedApi: ApiServer;
let lockedRedis: RedisServer;
/** Everything the children printed and answered, and every secret they were given or shown. */
const captured: string[] = [];
const secrets = new Set<string>();

function keep(...forms: string[]): void {
  for (const form of forms) secrets.add(form);
}

function answered(reply: HttpReply): HttpReply {
  captured.push(`${reply.status} ${JSON.stringify(reply.headers)} ${reply.body}`);
  return reply;
}

/** The Redis URL with a password the server does not ask for. */
function unneededPassword(redis: RedisServer): string {
  return `redis://:${UNNEEDED_REDIS_PASSWORD}@127.0.0.1:${redis.port}`;
}

/** Runs `tasks` at most `limit` at a time (child processes share two cores). */
async function pool<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

beforeAll(async () => {
  sharedApi = await startApiServer();
  [peers, lockedRedis] = await Promise.all([
    startPeers({ redis: { dedicated: true }, vcenter: apiPeer(sharedApi) }),
    startRedis({ dedicated: true }),
  ]);
  // A Redis that wants a password the functions do not have.
  await redisCommand(lockedRedis.port, ['CONFIG', 'SET', 'requirepass', 'the-right-one-2024']);
  keep(
    ...secretForms(UNNEEDED_REDIS_PASSWORD),
    ...secretForms(WRONG_REDIS_PASSWORD),
    ...secretForms(ECHO_PASSWORD, { basicUser: ECHO_USER }),
    ...secretForms(ECHO_SESSION_ID),
  );
});

afterAll(async () => {
  await peers?.stop();
  await Promise.all([lockedRedis?.stop(), sharedApi?.close()]);
});

/** A notifier whose webhook answers errors quoting its path and token; returns all it printed. */
async function webhookEcho(e: FunctionEntry): Promise<string> {
  const receiver = peers.receivers[e.upstream as ReceiverKind];
  keep(...webhookSecrets(receiver).flatMap((part) => secretForms(part)));
  const run = newRun(`echo-${e.name}`);
  const path = new URL(receiver.url).pathname + new URL(receiver.url).search;
  const child = await launchFunction(e.name, {
    ...e.env(peers),
    REDIS_URL: unneededPassword(peers.redis),
    FUNCTION_DEBUG: 'true',
    LOG_LEVEL: 'debug',
  });
  const base64 = Buffer.from(receiver.secret).toString('base64');
  const base64url = Buffer.from(receiver.secret).toString('base64url');
  receiver.script(
    { status: 404, body: `Cannot POST ${path} (${base64}, ${encodeURIComponent(path)})` },
    { status: 500, body: `upstream failed for ${receiver.url} token=${receiver.secret}` },
    { status: 403, body: `invalid token ${encodeURIComponent(receiver.secret)} / ${base64url}` },
  );
  const statuses: number[] = [];
  for (let n = 0; n < 4; n += 1)
    statuses.push(answered(await sendCloudEvent(child.url, e.event(run, n))).status);
  expect({ name: e.name, statuses }).toEqual({ name: e.name, statuses: [502, 503, 502, 200] });
  expect((await child.terminate()).code).toBe(0);
  expect(child.output()).toContain('***');
  return child.output();
}

/**
 * A vCenter function on an `/api` stand-in of its own that refuses a call with a 403 quoting the
 * session id, then (sessions expired) a re-login with a 401 quoting the Authorization header.
 */
async function vcenterEcho(e: FunctionEntry): Promise<string> {
  const api = await startApiServer();
  try {
    keep(...secretForms(api.password, { basicUser: api.username }));
    const run = newRun(`echo-${e.name}`);
    const child = await launchFunction(e.name, {
      ...e.env({ ...peers, vcenter: apiPeer(api) }),
      REDIS_URL: unneededPassword(peers.redis),
      FUNCTION_DEBUG: 'true',
      LOG_LEVEL: 'debug',
    });
    const send = async (n: number) =>
      answered(await sendCloudEvent(child.url, e.event(run, n))).status;
    const statuses = [await send(0)];
    api.failNext(
      '/api/cis/tagging/tag-association',
      403,
      'UNAUTHORIZED',
      1,
      (r) =>
        `Session ${r.sessionId} (vmware-api-session-id=${encodeURIComponent(r.sessionId ?? '')}) lacks the privilege`,
    );
    statuses.push(await send(1));
    api.expireSessions();
    api.failNext(
      '/api/session',
      401,
      'UNAUTHENTICATED',
      1,
      (r) => `Login failed for Authorization: ${r.authorization}`,
    );
    statuses.push(await send(2), await send(3));
    expect((await child.terminate()).code).toBe(0);
    for (const request of api.requests)
      if (request.sessionId !== undefined) keep(...secretForms(request.sessionId));
    // 403 -> 502 (refused for good); the failed re-login -> 502 (credentials refused); then a
    // fresh login works again.
    expect({ name: e.name, statuses }).toEqual({ name: e.name, statuses: [200, 502, 502, 200] });
    return child.output();
  } finally {
    await api.close();
  }
}

describe('upstreams quoting a secret back to a running function', () => {
  it('Slack, Teams and Google Chat quoting the webhook path and token: in no line or answer', async () => {
    const outputs = await Promise.all(WEBHOOKS.map((e) => webhookEcho(e)));
    captured.push(...outputs);
    expect(leaks(outputs.join('\n') + captured.join('\n'), [...secrets])).toEqual([]);
  });

  it('vCenter /api: a 403 quoting the session id, a re-login 401 quoting Basic credentials: in no line or answer', async () => {
    const outputs = await pool(
      2,
      VCENTER.map((e) => () => vcenterEcho(e)),
    );
    captured.push(...outputs);
    expect(leaks(outputs.join('\n') + captured.join('\n'), [...secrets])).toEqual([]);
  });
});

describe('vCenter servers quoting credentials at start: init refused, nothing printed', () => {
  // Each case once, the vCenter functions taking turns (the client under them is one).
  const cases: Array<[EchoFlavour, EchoFailure]> = [
    ['api', 'login-401'],
    ['rest', 'login-401'],
    ['rest', 'login-500'],
    ['api', 'call-403'],
    ['rest', 'call-403'],
  ];
  const servers: CredentialEchoServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('/api and /rest, login 401 and 500, call 403: each refused at start (exit 1) with nothing leaked', async () => {
    const outputs = await pool(
      2,
      cases.map(([flavour, failure], i) => async () => {
        const e: FunctionEntry = VCENTER[i % VCENTER.length]!;
        const server = await startCredentialEchoServer(flavour, failure);
        servers.push(server);
        const start = await launchFailingFunction(
          e.name,
          {
            ...e.env(peers),
            VCENTER_SERVER: server.url,
            VCENTER_USERNAME: ECHO_USER,
            VCENTER_PASSWORD: ECHO_PASSWORD,
            VCENTER_API_FLAVOUR: flavour,
            FUNCTION_DEBUG: 'true',
            LOG_LEVEL: 'debug',
          },
          /"msg":"init failed"/,
        );
        expect({
          case: `${e.name} ${flavour} ${failure}`,
          code: start.code,
          echoed: server.echoed.length > 0,
        }).toEqual({
          case: `${e.name} ${flavour} ${failure}`,
          code: 1,
          echoed: true,
        });
        return start.output;
      }),
    );
    captured.push(...outputs);
    expect(leaks(outputs.join('\n'), [...secrets])).toEqual([]);
  });
});

describe('Redis with a wrong password: start refused, the password printed nowhere', () => {
  it('every function that keeps state in Redis', async () => {
    const outputs = await pool(
      2,
      STATEFUL.map((e) => async () => {
        const start = await launchFailingFunction(
          e.name,
          {
            ...e.env(peers),
            REDIS_URL: `redis://default:${WRONG_REDIS_PASSWORD}@127.0.0.1:${lockedRedis.port}`,
            FUNCTION_DEBUG: 'true',
            LOG_LEVEL: 'debug',
          },
          /WRONGPASS|invalid username-password/,
        );
        expect({ name: e.name, code: start.code }).toEqual({ name: e.name, code: 1 });
        expect(start.output).toMatch(/WRONGPASS|invalid username-password/);
        return start.output;
      }),
    );
    captured.push(...outputs);
    expect(leaks(outputs.join('\n'), [...secrets])).toEqual([]);
  });
});

describe('across every child and answer of this file', () => {
  it('the unneeded Redis password was warned about through the logger, and no secret shows anywhere', () => {
    const all = captured.join('\n');
    expect(all).toContain('does not require a password');
    expect(all.length).toBeGreaterThan(10_000);
    expect(leaks(all, [...secrets])).toEqual([]);
  });
});
