import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScrubber, defineFunction, secretString } from '../src/index.js';
import { createBatchedDestination, createEventLoggerFactory, createLogger } from '../src/logger.js';
import { postBinary, start } from './helpers.js';

const WEBHOOK = 'https://hooks.slack.com/services/T0000/B0000/abcdefSECRETxyz';
const PASSWORD = 'p@ss"w\\rd-Zq9';
const TOKEN = 'tok-9f8e7d6c';
const OPAQUE = 'opaque-value-123';

describe('secrets never reach a log line', () => {
  it('at debug level, in config dumps, headers, error messages and stacks', async () => {
    const def = defineFunction({
      name: 'leaky',
      config: {
        SLACK_WEBHOOK_URL: z.string(),
        VCENTER_PASSWORD: z.string(),
        VCENTER_USERNAME: z.string(),
        SESSION: secretString(),
      },
      secretVariables: ['SLACK_SECRET'],
      init(ctx) {
        ctx.logger.debug({ config: ctx.config }, 'init with config');
        return {};
      },
      handle(_event, ctx) {
        ctx.logger.debug(
          { headers: { authorization: `Bearer ${TOKEN}`, cookie: 'vmware-api-session-id=abc123' } },
          'request',
        );
        ctx.logger.debug({ config: ctx.config }, 'config in handler');
        ctx.logger.debug(`posting to ${ctx.config.SLACK_WEBHOOK_URL}`);
        throw new Error(
          `POST ${ctx.config.SLACK_WEBHOOK_URL} failed for password ${ctx.config.VCENTER_PASSWORD} and ${ctx.config.SESSION}`,
        );
      },
    });
    const fn = await start(def, {
      env: {
        FUNCTION_DEBUG: 'true',
        SLACK_SECRET: JSON.stringify({ SLACK_WEBHOOK_URL: WEBHOOK, VCENTER_PASSWORD: PASSWORD }),
        VCENTER_USERNAME: 'administrator@vsphere.local',
        SESSION: OPAQUE,
        GITHUB_TOKEN: TOKEN,
      },
    });
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(500);
    const text = fn.logs.text();
    expect(fn.logs.records().some((r) => r.level === 'debug')).toBe(true);
    expect(fn.logs.records().some((r) => r.level === 'error')).toBe(true);
    for (const secret of [
      WEBHOOK,
      PASSWORD,
      JSON.stringify(PASSWORD).slice(1, -1),
      TOKEN,
      OPAQUE,
      'abc123',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[REDACTED]');
    // Not everything is hidden: the username is not a secret.
    expect(text).toContain('administrator@vsphere.local');
  });

  it('a secret inside a 4xx reason sent back to the sender is scrubbed too', async () => {
    const { InvalidEventError } = await import('../src/index.js');
    const def = defineFunction({
      name: 'leaky',
      config: { API_KEY: z.string() },
      handle(_event, ctx) {
        throw new InvalidEventError(`rejected with key ${ctx.config.API_KEY}`);
      },
    });
    const fn = await start(def, { env: { API_KEY: 'key-abcdef' } });
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(400);
    expect(reply.body).not.toContain('key-abcdef');
    expect(fn.logs.text()).not.toContain('key-abcdef');
  });
});

describe('values inside JSON secrets are scrubbed on their own', () => {
  const EMBEDDED = 'https://hooks.slack.com/services/T/B/X';

  it('a secret-looking variable holding a JSON object the function does not declare', async () => {
    const def = defineFunction({
      name: 'slack-like',
      handle(_event, ctx) {
        ctx.logger.info(`posting to ${EMBEDDED}`);
        ctx.logger.error({ err: new Error(`POST ${EMBEDDED} failed`) }, 'failed');
      },
    });
    const fn = await start(def, {
      env: { SLACK_SECRET: JSON.stringify({ SLACK_WEBHOOK_URL: EMBEDDED, CHANNEL: 'ops' }) },
    });
    await postBinary(fn.url);
    const text = fn.logs.text();
    expect(text).toContain('posting to [REDACTED]');
    expect(text).not.toContain(EMBEDDED);
    expect(text).not.toContain('hooks.slack.com/services/T/B/X');
  });

  it('a declared JSON secret variable, nested and sensitiveKeys included', async () => {
    const def = defineFunction({
      name: 'nested',
      config: { VCENTER_SERVER: z.string() },
      secretVariables: ['VC_CREDS'],
      sensitiveKeys: ['LOGIN'],
      handle(_event, ctx) {
        ctx.logger.info('values: nested-hunter2 login-xyz vc-01.local');
      },
    });
    const fn = await start(def, {
      env: {
        VC_CREDS: JSON.stringify({
          VCENTER_SERVER: 'vc-01.local',
          LOGIN: 'login-xyz',
          extra: { DB_PASSWORD: 'nested-hunter2' },
        }),
      },
    });
    await postBinary(fn.url);
    expect(fn.logs.text()).toContain('values: [REDACTED] [REDACTED] vc-01.local');
  });
});

describe('log shape', () => {
  it('each handler line is bound to ceId, ceType, ceSource', async () => {
    const def = defineFunction({
      name: 'shape',
      handle(_event, ctx) {
        ctx.logger.info('hello');
      },
    });
    const fn = await start(def);
    await postBinary(fn.url, { 'ce-id': 'id-42' });
    expect(fn.logs.records().find((r) => r.msg === 'hello')).toMatchObject({
      level: 'info',
      function: 'shape',
      ceId: 'id-42',
      ceType: 'com.vmware.vsphere.DrsVmPoweredOnEvent.v0',
      ceSource: 'https://vcenter-01:443/sdk',
    });
  });

  it('LOG_LEVEL filters, FUNCTION_DEBUG=true turns on debug', async () => {
    const def = defineFunction({
      name: 'levels',
      handle(_event, ctx) {
        ctx.logger.debug('dbg');
        ctx.logger.info('inf');
      },
    });
    const quiet = await start(def, { env: { LOG_LEVEL: 'warn' } });
    await postBinary(quiet.url);
    expect(quiet.logs.records().map((r) => r.msg)).not.toContain('inf');
    const debug = await start(def, { env: { FUNCTION_DEBUG: 'true' } });
    await postBinary(debug.url);
    expect(debug.logs.records().map((r) => r.msg)).toEqual(expect.arrayContaining(['dbg', 'inf']));
  });
});

describe('createEventLoggerFactory', () => {
  function rootWith(secretKeys: string[]) {
    const lines: string[] = [];
    const root = createLogger({
      name: 'f',
      level: 'info',
      secretValues: [],
      secretKeys,
      destination: { write: (line: string) => void lines.push(line) },
    });
    return { root, lines };
  }

  it('writes the same lines as pino child, escapes included, and children of it too', () => {
    const { root, lines } = rootWith([]);
    const id = 'id "quoted" \\ \u2028 é';
    createEventLoggerFactory(root)(id, 't', 's').child({ k: 1 }).warn('m');
    root.child({ ceId: id, ceType: 't', ceSource: 's' }).child({ k: 1 }).warn('m');
    const strip = (line: string) => line.replace(/"time":"[^"]*",/, '');
    expect(lines).toHaveLength(2);
    expect(strip(lines[0]!)).toBe(strip(lines[1]!));
    expect(JSON.parse(lines[0]!)).toMatchObject({ ceId: id, ceType: 't', ceSource: 's', k: 1 });
  });

  it('writes the same lines as pino child for plain ids and every other kind (the two ways it writes an id)', () => {
    const { root, lines } = rootWith([]);
    const factory = createEventLoggerFactory(root);
    const ids = [
      'c0f3b7a2-1d2e-4b5f-9a8b-000000000001',
      '42',
      '',
      'a\tb',
      'x"',
      'y\\',
      '\ud800',
      '~ !#',
    ];
    for (const id of ids) {
      factory(id, 'com.vmware.vsphere.VmPoweredOnEvent.v0', 'https://vc/sdk').info('m');
      root
        .child({
          ceId: id,
          ceType: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
          ceSource: 'https://vc/sdk',
        })
        .info('m');
    }
    const strip = (line: string) => line.replace(/"time":"[^"]*",/, '');
    expect(lines).toHaveLength(2 * ids.length);
    for (let i = 0; i < ids.length; i++) {
      expect(strip(lines[2 * i]!)).toBe(strip(lines[2 * i + 1]!));
      expect((JSON.parse(lines[2 * i]!) as { ceId: string }).ceId).toBe(ids[i]);
    }
  });

  it('honours a redact path on a bound key (falls back to pino child)', () => {
    const { root, lines } = rootWith(['ceId']);
    createEventLoggerFactory(root)('visible?', 't', 's').info('m');
    expect(JSON.parse(lines[0]!)).toMatchObject({ ceId: '[REDACTED]', ceType: 't' });
  });
});

describe('createScrubber', () => {
  it('replaces the raw, JSON-escaped and URL-encoded forms, and leaves short values alone', () => {
    const scrub = createScrubber(['a"b\\c-long', 'https://x.test/?q=1', 'ab']);
    expect(scrub('raw a"b\\c-long')).toBe('raw [REDACTED]');
    expect(scrub(JSON.stringify({ m: 'a"b\\c-long' }))).toBe('{"m":"[REDACTED]"}');
    expect(scrub(`u=${encodeURIComponent('https://x.test/?q=1')}`)).toBe('u=[REDACTED]');
    expect(scrub('ab stays')).toBe('ab stays');
  });
});

describe('createBatchedDestination (what serve() writes stdout with)', () => {
  it('writes the lines of one event-loop turn together, or at once on flushSync', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'veba-log-')), 'out.log');
    const fd = openSync(file, 'w');
    try {
      const destination = createBatchedDestination(fd);
      destination.write('{"n":1}\n');
      destination.write('{"n":2}\n');
      expect(readFileSync(file, 'utf8')).toBe('');
      await expect.poll(() => readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
      destination.write('{"n":3}\n');
      destination.flushSync();
      expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    } finally {
      closeSync(fd);
    }
  });
});
