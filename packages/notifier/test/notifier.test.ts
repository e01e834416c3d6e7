import { InvalidEventError } from '@veba-functions/runtime';
import { handlerContext, startRedis, type RedisServer } from '@veba-functions/test-helpers';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseDestination } from '../src/destination.js';
import { createNotifier, type NotifierOptions } from '../src/notifier.js';
import { createSlackTarget } from '../src/slack/slack-target.js';
import { startWebhookReceiver, type WebhookReceiver } from '../src/testing/webhook-receiver.js';
import { corpusEvent } from './corpus.js';

let receiver: WebhookReceiver;
let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});
afterEach(async () => {
  await receiver?.close();
});

async function notifier(options: Partial<NotifierOptions<unknown>> = {}) {
  receiver = await startWebhookReceiver('slack');
  const metrics = new Registry();
  const ctx = handlerContext({ state: undefined });
  const n = createNotifier({
    target: createSlackTarget(),
    destination: parseDestination(receiver.url, { key: 'SLACK_WEBHOOK_URL', from: 'test' }),
    logger: ctx.logger,
    metrics,
    rate: { perSecond: 50, burst: 1 },
    ...options,
  });
  return { n, metrics };
}

const ctx = () => handlerContext({ state: undefined });
const ENTER = 'kn-pcli-hostmaint-alarms__enter-maint-payload.json';
const EXIT = 'kn-pcli-hostmaint-alarms__exit-maint-payload.json';
const ALARM = 'kn-ps-slack-vsphere-alarm__test-payload.json';
const hostOfEnter = () => corpusEvent(ENTER).requireHost();
const source = () => corpusEvent(ENTER).source;

/** An alarm on the maintenance sample's host (a host alarm, or a VM alarm naming the host). */
function alarmOn(kind: 'host' | 'vm', key: number) {
  const host = hostOfEnter();
  const hostRef = { Name: host.name, Host: { Type: 'HostSystem', Value: host.moref } };
  const entity =
    kind === 'host'
      ? { Name: host.name, Entity: { Type: 'HostSystem', Value: host.moref } }
      : { Name: 'web-01', Entity: { Type: 'VirtualMachine', Value: 'vm-7' } };
  const event = corpusEvent(ALARM, {
    Key: key,
    Host: kind === 'vm' ? hostRef : null,
    Entity: entity,
    To: 'red',
  });
  return Object.assign(event, { source: source() });
}

describe('notify', () => {
  it('posts and answers 200 { posted, eventClass, family, digest, events }', async () => {
    const { n } = await notifier();
    expect(await n.notify(corpusEvent('kn-ps-slack__test-payload.json'), ctx())).toEqual({
      status: 200,
      body: {
        posted: true,
        eventClass: 'VmPoweredOffEvent',
        family: 'vm',
        digest: false,
        events: 1,
      },
    });
    expect(receiver.posts).toHaveLength(1);
  });

  it('an unusable event is a 400 naming the field, nothing posted', async () => {
    const { n } = await notifier();
    await expect(
      n.notify(corpusEvent('kn-ps-slack__test-payload.json', { Vm: null }), ctx()),
    ).rejects.toThrow(InvalidEventError);
    await expect(n.notify(corpusEvent(ENTER, { Host: null }), ctx())).rejects.toThrow(
      /data\.Host is missing/,
    );
    expect(receiver.posts).toHaveLength(0);
  });
});

describe.each([
  ['in memory', () => ({})],
  ['in Redis', () => ({ redis, keyPrefix: server.keyPrefix })],
])('maintenance-aware alarms (%s)', (_name, shared) => {
  it('off by default: alarms on a host in maintenance are posted', async () => {
    const { n } = await notifier(shared());
    await n.notify(corpusEvent(ENTER), ctx());
    expect(await n.notify(alarmOn('host', 90_000_001), ctx())).toMatchObject({ status: 200 });
  });

  it('on: alarms on the host and on VMs naming it are skipped and counted until the exit event', async () => {
    const { n, metrics } = await notifier({
      ...shared(),
      suppressInMaintenance: true,
      keyPrefix: `${server.keyPrefix}${Math.random()}:`,
    });
    expect(await n.notify(corpusEvent(ENTER), ctx())).toMatchObject({ status: 200 }); // posted itself
    expect(await n.notify(alarmOn('host', 90_000_002), ctx())).toEqual({
      skipped: 'host in maintenance',
    });
    expect(await n.notify(alarmOn('vm', 90_000_003), ctx())).toEqual({
      skipped: 'host in maintenance',
    });
    // A datastore alarm names no host: posted.
    expect(await n.notify(corpusEvent(ALARM), ctx())).toMatchObject({ status: 200 });
    const suppressed = await metrics.getSingleMetric('veba_notifier_suppressed_total')!.get();
    expect(suppressed.values[0]).toMatchObject({
      value: 2,
      labels: { reason: 'host_in_maintenance' },
    });
    await n.notify(corpusEvent(EXIT), ctx());
    expect(await n.notify(alarmOn('host', 90_000_004), ctx())).toMatchObject({ status: 200 });
    expect(receiver.posts).toHaveLength(4);
  });
});

describe('two replicas through Redis', () => {
  it('a mark set by one replica suppresses on the other', async () => {
    const keyPrefix = `${server.keyPrefix}r${Date.now()}:`;
    const one = await notifier({ redis, keyPrefix, suppressInMaintenance: true });
    const firstReceiver = receiver;
    await one.n.notify(corpusEvent(ENTER), ctx());
    const two = await notifier({ redis, keyPrefix, suppressInMaintenance: true });
    expect(await two.n.notify(alarmOn('host', 90_000_010), ctx())).toEqual({
      skipped: 'host in maintenance',
    });
    await firstReceiver.close();
  });
});
