/**
 * The lifecycle every notifier function shares, against a real redis-server and the Slack
 * stand-in: setup first (a configuration error is reported before Redis is reached), then the
 * notifier Redis and the notifier, one ready line; shutdown closes what init opened. And the
 * definition and the webhook setup built on it.
 */
import { ConfigError } from '@veba-functions/runtime';
import {
  captureLogs,
  freePort,
  redisInfo,
  startRedis,
  type RedisServer,
} from '@veba-functions/test-helpers';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDestination } from '../src/destination.js';
import { createEmailTarget } from '../src/email/email-target.js';
import { notifierConfigShape, timeoutKey } from '../src/config.js';
import {
  createNotifierLifecycle,
  defineNotifierFunction,
  webhookAlertSetup,
  type NotifierFunctionConfig,
} from '../src/notifier-function.js';
import { createSlackTarget } from '../src/slack/slack-target.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/testing/webhook-receiver.js';
import { corpusEvent } from './corpus.js';

let server: RedisServer;
let receiver: WebhookReceiver;
beforeAll(async () => {
  server = await startRedis({ dedicated: true });
  receiver = await startWebhookReceiver('slack');
});
afterEach(() => receiver.reset());
afterAll(async () => {
  await receiver?.close();
  await server?.stop();
});

const config = (redisUrl: string | undefined): NotifierFunctionConfig => ({
  REDIS_URL: redisUrl,
  NOTIFY_SUPPRESS_IN_MAINTENANCE: true,
  NOTIFY_MAINTENANCE_TTL_SECONDS: 60,
});

function initContext(c: NotifierFunctionConfig) {
  const logs = captureLogs();
  const logger = pino({ base: null, formatters: { level: (label) => ({ level: label }) } }, logs);
  return { ctx: { config: c, logger, metrics: new Registry(), name: 'test-alert' }, logs };
}

const clients = async () =>
  Number((await redisInfo(server.port, 'clients')).get('connected_clients'));

describe('createNotifierLifecycle', () => {
  it('init builds the notifier over Redis and logs one ready line; the notifier posts; shutdown closes Redis', async () => {
    const lifecycle = createNotifierLifecycle({
      name: 'test-alert',
      setup: () => ({
        target: createSlackTarget(),
        destination: parseDestination(receiver.url, { key: 'SLACK_WEBHOOK_URL', from: 'test' }),
        ready: { webhook: 'masked' },
      }),
      overrides: { keyPrefix: `${server.keyPrefix}lifecycle:` },
    });
    const before = await clients();
    const { ctx, logs } = initContext(config(server.url));
    const state = await lifecycle.init(ctx);
    expect(await clients()).toBe(before + 1);
    const ready = logs.records().filter((r) => r.msg === 'test-alert ready');
    expect(ready).toEqual([
      expect.objectContaining({ webhook: 'masked', pacing: 'redis', maintenance: 'redis' }),
    ]);
    const result = await state.notifier.notify(corpusEvent('kn-ps-slack__test-payload.json'), {
      deadline: Date.now() + 10_000,
      logger: ctx.logger,
    });
    expect(result).toMatchObject({ status: 200, body: { posted: true } });
    expect(receiver.posts).toHaveLength(1);
    await lifecycle.shutdown();
    expect(await clients()).toBe(before);
  });

  it('a configuration error from setup fails init before Redis is reached', async () => {
    const lifecycle = createNotifierLifecycle({
      name: 'test-alert',
      setup: () => {
        throw new ConfigError(['TEST_WEBHOOK_URL: missing']);
      },
    });
    // Nothing listens there: had init connected first, it would fail with a Redis error instead.
    const unreachable = `redis://127.0.0.1:${await freePort()}`;
    const { ctx } = initContext(config(unreachable));
    await expect(lifecycle.init(ctx)).rejects.toBeInstanceOf(ConfigError);
  });

  it('a notifier that cannot be built fails init and closes the Redis connection init opened', async () => {
    const lifecycle = createNotifierLifecycle({
      name: 'test-alert',
      // An HTTP target without a destination: createNotifier refuses it.
      setup: () => ({ target: createSlackTarget(), ready: {} }),
    });
    const before = await clients();
    const { ctx } = initContext(config(server.url));
    await expect(lifecycle.init(ctx)).rejects.toThrow(/needs a client/);
    expect(await clients()).toBe(before);
  });

  it('an unpaced target (email) has no pacing in its ready line; without Redis all is in memory', async () => {
    const lifecycle = createNotifierLifecycle({
      name: 'test-alert',
      setup: () => ({
        target: createEmailTarget({ subjectPrefix: undefined, domain: 'corp.example' }),
        client: { post: () => Promise.reject(new Error('not used')) },
        ready: { smtpServer: 'relay:25' },
      }),
    });
    const { ctx, logs } = initContext(config(undefined));
    await lifecycle.init(ctx);
    const ready = logs.records().find((r) => r.msg === 'test-alert ready')!;
    expect(ready).toMatchObject({ smtpServer: 'relay:25', maintenance: 'memory' });
    expect(ready).not.toHaveProperty('pacing');
    await lifecycle.shutdown();
  });
});

describe('defineNotifierFunction', () => {
  const config = { TEST_WEBHOOK_URL: z.string().optional(), ...notifierConfigShape };
  const definition = (orderBy?: (event: VSphereEvent) => string | undefined) =>
    defineNotifierFunction(
      {
        name: 'test-alert',
        config,
        secretVariables: ['TEST_SECRET'],
        sensitiveKeys: ['TEST_WEBHOOK_URL'],
        ...(orderBy ? { orderBy } : {}),
        setup: () => ({ target: createSlackTarget(), ready: {} }),
        handle: (event, ctx) => ctx.state.notifier.notify(event, ctx),
      },
      { state: { storeOptions: { keyPrefix: 'x:' } } },
    );

  it('keeps the keys, parses vSphere events only, dedupes; orders only with orderBy', () => {
    const plain = definition();
    expect(plain).toMatchObject({
      name: 'test-alert',
      config,
      secretVariables: ['TEST_SECRET'],
      sensitiveKeys: ['TEST_WEBHOOK_URL'],
    });
    expect(plain.guards?.map((g) => g.name)).toEqual(['dedupe']);
    expect(definition(() => 'scope').guards?.map((g) => g.name)).toEqual(['dedupe', 'ordering']);
    const skipped = plain.parse!({
      specversion: '1.0',
      id: '1',
      source: '/harbor',
      type: 'com.vmware.harbor.push_artifact.v0',
    } as never);
    expect(skipped).toMatchObject({
      skipped: expect.stringMatching(/not a vSphere event type/) as unknown,
    });
  });
});

describe('webhookAlertSetup', () => {
  const keys = {
    url: 'TEST_WEBHOOK_URL',
    pretext: 'TEST_PRETEXT',
    secret: 'TEST_SECRET',
    timeout: 'TEST_TIMEOUT_MS',
  };

  it('the URL from a raw-URL secret, the pretext, the timeout; the ready line masks the URL', () => {
    const setup = webhookAlertSetup(keys, ({ pretext }) => createSlackTarget({ pretext }));
    const own = setup({
      TEST_SECRET: 'https://hooks.example/services/T/B/secret-token',
      TEST_PRETEXT: 'prod',
      TEST_TIMEOUT_MS: timeoutKey().parse('2500'),
    });
    expect(own.timeoutMs).toBe(2500);
    expect(own.destination?.masked).not.toContain('secret-token');
    expect(own.ready).toEqual({ webhook: own.destination?.masked, pretext: true });
  });

  it('a target without a pretext key has no pretext in its ready line; a missing URL names the keys', () => {
    const { pretext: _none, ...noPretext } = keys;
    const setup = webhookAlertSetup(noPretext, () => createSlackTarget());
    const own = setup({ TEST_WEBHOOK_URL: 'https://hooks.example/x/y' });
    expect(own.ready).toEqual({ webhook: own.destination?.masked });
    expect(own).not.toHaveProperty('timeoutMs');
    expect(() => setup({})).toThrow(/TEST_WEBHOOK_URL: missing .*TEST_SECRET/);
  });
});
