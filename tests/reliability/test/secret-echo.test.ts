/**
 * Upstreams that echo a secret back, against every function as its container runs it (`node
 * functions/<name>/dist/main.js`, FUNCTION_DEBUG=true): every line the child printed (stdout and
 * stderr) and every HTTP answer it gave is grepped for each secret, plain, URL-encoded and base64
 * (and a password inside a Basic token).
 *
 * - Slack, Teams, Google Chat stand-ins answering errors that quote the webhook's path and token;
 * - the SMTP server refusing AUTH with a 535 that quotes the `AUTH PLAIN` token (base64 of
 *   `\0user\0password`), then a 451 and a 554 quoting the user name and password;
 * - PagerDuty answering 400 (its `errors`), 429, 404 that quote the routing key;
 * - a Standard Webhooks receiver answering 401 that quotes the signature it got and the `whsec_`
 *   secret, then a 500 and a 410 quoting the URL's token and the other secret's key;
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
  smtpSecrets,
  standardWebhookSecrets,
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
const SMTP = FUNCTIONS.filter((e) => e.upstream === 'smtp');
const PAGERDUTY = FUNCTIONS.filter((e) => e.upstream === 'pagerduty');
const STANDARD_WEBHOOKS = FUNCTIONS.filter((e) => e.upstream === 'webhook');
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
    ...[...smtpSecrets(peers.smtp), peers.pagerduty.routingKey]
      .concat(standardWebhookSecrets(peers.webhook))
      .flatMap((secret) => secretForms(secret)),
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

/**
 * Starts `e` as its container runs it against `against` (default: the file's peers), debug
 * logging on, with a Redis password it does not need.
 */
function launchDebug(e: FunctionEntry, against: Peers = peers) {
  return launchFunction(e.name, {
    ...e.env(against),
    REDIS_URL: unneededPassword(peers.redis),
    FUNCTION_DEBUG: 'true',
    LOG_LEVEL: 'debug',
  });
}

/** Sends events 0.. of a fresh run to `url`, one at a time; the statuses. */
async function sendAll(e: FunctionEntry, url: string, count: number): Promise<number[]> {
  const run = newRun(`echo-${e.name}`);
  const statuses: number[] = [];
  for (let n = 0; n < count; n += 1)
    statuses.push(answered(await sendCloudEvent(url, e.event(run, n))).status);
  return statuses;
}

/** A notifier whose webhook answers errors quoting its path and token; returns all it printed. */
async function webhookEcho(e: FunctionEntry): Promise<string> {
  const receiver = peers.receivers[e.upstream as ReceiverKind];
  keep(...webhookSecrets(receiver).flatMap((part) => secretForms(part)));
  const path = new URL(receiver.url).pathname + new URL(receiver.url).search;
  const child = await launchDebug(e);
  const base64 = Buffer.from(receiver.secret).toString('base64');
  const base64url = Buffer.from(receiver.secret).toString('base64url');
  receiver.script(
    { status: 404, body: `Cannot POST ${path} (${base64}, ${encodeURIComponent(path)})` },
    { status: 500, body: `upstream failed for ${receiver.url} token=${receiver.secret}` },
    { status: 403, body: `invalid token ${encodeURIComponent(receiver.secret)} / ${base64url}` },
  );
  const statuses = await sendAll(e, child.url, 4);
  expect({ name: e.name, statuses }).toEqual({ name: e.name, statuses: [502, 503, 502, 200] });
  expect((await child.terminate()).code).toBe(0);
  expect(child.output()).toContain('***');
  return child.output();
}

/**
 * email-alert against an SMTP server whose replies quote the credentials: a 535 at AUTH quoting
 * the `AUTH PLAIN` token the client sent (RFC 4616: base64 of `\0user\0password`) and the user, a
 * 451 at MAIL FROM quoting both URL-encoded and base64, a 554 after DATA quoting the password.
 */
async function smtpEcho(e: FunctionEntry): Promise<string> {
  const { server, username, password } = peers.smtp;
  const plain = Buffer.from(`\0${username}\0${password}`).toString('base64');
  const base64 = (text: string) => Buffer.from(text).toString('base64');
  const child = await launchDebug(e);
  server.script(
    { stage: 'auth', code: 535, message: `5.7.8 AUTH PLAIN ${plain} refused for ${username}` },
    {
      stage: 'mail',
      code: 451,
      message: `4.3.0 try later, ${encodeURIComponent(username)}:${encodeURIComponent(password)} (${base64(password)})`,
    },
    {
      stage: 'after-data',
      code: 554,
      message: `5.6.0 refused: login ${base64(username)} pass ${password}`,
    },
  );
  const statuses = await sendAll(e, child.url, 4);
  // 535: credentials refused (502); 451: transient (503); 554 after DATA: refused (502); then sent.
  expect({ name: e.name, statuses }).toEqual({ name: e.name, statuses: [502, 503, 502, 200] });
  expect((await child.terminate()).code).toBe(0);
  expect(child.output()).toContain('535');
  return child.output();
}

/** pagerduty-alert against PagerDuty answering 400, 429 and 404 that quote the routing key. */
async function pagerDutyEcho(e: FunctionEntry): Promise<string> {
  const key = peers.pagerduty.routingKey;
  const child = await launchDebug(e);
  peers.pagerduty.script(
    // Events API v2's 400: {"status":"invalid event","message":"Event object is invalid","errors":[...]}
    {
      status: 400,
      body: JSON.stringify({
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: [
          `'routing_key' ${key} is not an integration key`,
          Buffer.from(key).toString('base64'),
        ],
      }),
    },
    {
      status: 429,
      headers: { 'retry-after': '1' },
      body: `{"status":"throttle event","message":"Requests for ${encodeURIComponent(key)} are being throttled"}`,
    },
    {
      status: 404,
      body: `no integration for routing_key=${Buffer.from(key).toString('base64url')}`,
    },
  );
  const statuses = await sendAll(e, child.url, 4);
  // 400: refused (502); 429: 503 + Retry-After; 404: a wrong URL (502); then 202.
  expect({ name: e.name, statuses }).toEqual({ name: e.name, statuses: [502, 503, 502, 200] });
  expect((await child.terminate()).code).toBe(0);
  return child.output();
}

/**
 * webhook-forward against a Standard Webhooks receiver whose 401 quotes the signature it got and
 * the `whsec_` secret it verifies with, then a 500 quoting the URL's path and the other secret's
 * key (the base64 after `whsec_`) and a 410 quoting the secret URL-encoded and base64.
 */
async function standardWebhookEcho(e: FunctionEntry): Promise<string> {
  const receiver = peers.webhook;
  const [first, second] = receiver.secrets as [string, string];
  const child = await launchDebug(e);
  const before = receiver.requests.length;
  const statuses = await sendAll(e, child.url, 1);
  const signature = String(receiver.requests[before]?.headers['webhook-signature']);
  receiver.script(
    {
      status: 401,
      body: JSON.stringify({ error: 'invalid signature', received: signature, secret: first }),
    },
    {
      status: 500,
      body: `Cannot POST ${new URL(receiver.url).pathname} (key ${second.slice('whsec_'.length)})`,
    },
    {
      status: 410,
      body: `gone: ${encodeURIComponent(second)} ${Buffer.from(first).toString('base64')}`,
    },
  );
  statuses.push(...(await sendAll(e, child.url, 4)));
  // 2xx; 401 and 410: refused (502); 500: retried (503); then 204.
  expect({ name: e.name, statuses }).toEqual({
    name: e.name,
    statuses: [200, 502, 503, 502, 200],
  });
  expect((await child.terminate()).code).toBe(0);
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
    const child = await launchDebug(e, { ...peers, vcenter: apiPeer(api) });
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

  it('SMTP (535 quoting AUTH PLAIN), PagerDuty (400, 429, 404 quoting the routing key), Standard Webhooks (401 quoting the signature and secret): in no line or answer', async () => {
    const outputs = await Promise.all([
      ...SMTP.map((e) => smtpEcho(e)),
      ...PAGERDUTY.map((e) => pagerDutyEcho(e)),
      ...STANDARD_WEBHOOKS.map((e) => standardWebhookEcho(e)),
    ]);
    expect(outputs).toHaveLength(3);
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
