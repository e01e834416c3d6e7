import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  booleanFromEnv,
  defineFunction,
  loadConfig,
  secretString,
  stringList,
} from '../src/index.js';
import { captureLogs, start } from './helpers.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  const shape = {
    VCENTER_SERVER: z.string(),
    VCENTER_USERNAME: z.string(),
    VCENTER_PASSWORD: secretString(),
  };

  it('reads individual variables', () => {
    const config = loadConfig(shape, {
      env: { VCENTER_SERVER: 'vc', VCENTER_USERNAME: 'u', VCENTER_PASSWORD: 'p' },
    });
    expect(config).toEqual({ VCENTER_SERVER: 'vc', VCENTER_USERNAME: 'u', VCENTER_PASSWORD: 'p' });
  });

  it('reads keys from JSON secret variables in order; individual variables win', () => {
    const config = loadConfig(shape, {
      env: {
        VCENTER_SERVER: 'from-env',
        VCENTER_SECRET: JSON.stringify({
          VCENTER_SERVER: 'from-secret',
          VCENTER_USERNAME: 'first',
        }),
        OTHER_SECRET: JSON.stringify({ VCENTER_USERNAME: 'second', VCENTER_PASSWORD: 'pw' }),
      },
      secretVariables: ['VCENTER_SECRET', 'OTHER_SECRET'],
    });
    expect(config).toEqual({
      VCENTER_SERVER: 'from-env',
      VCENTER_USERNAME: 'first',
      VCENTER_PASSWORD: 'pw',
    });
  });

  it('names the missing key and every place it looked', () => {
    const error = configError(() =>
      loadConfig(shape, {
        env: { VCENTER_USERNAME: 'u', VCENTER_PASSWORD: 'p' },
        secretVariables: ['VCENTER_SECRET'],
      }),
    );
    expect(error.issues).toEqual([
      'VCENTER_SERVER: missing (looked in env VCENTER_SERVER and JSON secret VCENTER_SECRET)',
    ]);
    expect(error.message).toContain('VCENTER_SERVER: missing');
  });

  it('reports every failing key at once', () => {
    const error = configError(() => loadConfig(shape, { env: {} }));
    expect(error.issues.map((issue) => issue.split(':')[0])).toEqual([
      'VCENTER_SERVER',
      'VCENTER_USERNAME',
      'VCENTER_PASSWORD',
    ]);
  });

  it('an invalid value is reported with where it came from, never the value', () => {
    const error = configError(() =>
      loadConfig(
        { PORT_NUMBER: z.coerce.number().int(), API_TOKEN: z.string().regex(/^tok-/) },
        {
          env: {
            PORT_NUMBER: 'eighty',
            SLACK_SECRET: JSON.stringify({ API_TOKEN: 'hunter2-secret' }),
          },
          secretVariables: ['SLACK_SECRET'],
        },
      ),
    );
    expect(error.issues[0]).toMatch(/^PORT_NUMBER: invalid \(from env PORT_NUMBER\): /);
    expect(error.issues[1]).toMatch(/^API_TOKEN: invalid \(from JSON secret SLACK_SECRET\): /);
    expect(error.message).not.toContain('eighty');
    expect(error.message).not.toContain('hunter2-secret');
  });

  it('a secret variable that is not JSON is named, its content never shown', () => {
    const error = configError(() =>
      loadConfig(shape, {
        env: { VCENTER_SECRET: 'not-json-s3cr3t' },
        secretVariables: ['VCENTER_SECRET'],
      }),
    );
    expect(error.issues[0]).toBe('VCENTER_SECRET: not valid JSON (expected a JSON object of keys)');
    expect(error.message).not.toContain('s3cr3t');
  });

  it('a secret variable holding JSON that is not an object is an error', () => {
    const error = configError(() =>
      loadConfig({ A: z.string().optional() }, { env: { S: '["a"]' }, secretVariables: ['S'] }),
    );
    expect(error.issues).toEqual(['S: not a JSON object (expected a JSON object of keys)']);
  });

  it('numbers and booleans in a JSON secret read like their env text', () => {
    const config = loadConfig(
      { VCENTER_PORT: z.coerce.number(), VCENTER_INSECURE: booleanFromEnv(), LABEL: z.string() },
      {
        env: { S: JSON.stringify({ VCENTER_PORT: 443, VCENTER_INSECURE: true, LABEL: 7 }) },
        secretVariables: ['S'],
      },
    );
    expect(config).toEqual({ VCENTER_PORT: 443, VCENTER_INSECURE: true, LABEL: '7' });
  });

  it('optional keys and defaults apply when nothing is set', () => {
    const config = loadConfig(
      { A: z.string().optional(), B: z.string().default('b') },
      { env: {} },
    );
    expect(config).toEqual({ A: undefined, B: 'b' });
  });
});

describe('booleanFromEnv', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['', false],
  ])('%j -> %s', (text, expected) => {
    expect(loadConfig({ FLAG: booleanFromEnv() }, { env: { FLAG: text } }).FLAG).toBe(expected);
  });

  it('anything else is a config error', () => {
    const error = configError(() =>
      loadConfig({ FLAG: booleanFromEnv() }, { env: { FLAG: 'maybe' } }),
    );
    expect(error.issues[0]).toMatch(/^FLAG: invalid \(from env FLAG\): expected true\/false/);
  });
});

describe('stringList', () => {
  it('splits, trims and drops empty items', () => {
    expect(loadConfig({ L: stringList() }, { env: { L: ' a, b,,c ' } }).L).toEqual(['a', 'b', 'c']);
  });
});

describe('runtime config', () => {
  it('an invalid runtime key fails start with a ConfigError naming it', async () => {
    const def = defineFunction({ name: 'cfg', handle: () => undefined });
    await expect(start(def, { env: { FUNCTION_TIMEOUT_SECONDS: 'soon' } })).rejects.toThrow(
      /FUNCTION_TIMEOUT_SECONDS: invalid/,
    );
  });

  it('a missing function key fails start and the failure is logged', async () => {
    const logs = captureLogs();
    const def = defineFunction({
      name: 'cfg',
      config: { VCENTER_SERVER: z.string() },
      handle: () => undefined,
    });
    await expect(start(def, { logs, env: {} })).rejects.toBeInstanceOf(ConfigError);
    const line = logs.records().find((r) => r.level === 'error');
    expect((line?.err as { message: string }).message).toContain(
      'VCENTER_SERVER: missing (looked in env VCENTER_SERVER)',
    );
  });

  it('the handler sees the typed config', async () => {
    let seen: unknown;
    const def = defineFunction({
      name: 'cfg',
      config: { RETRIES: z.coerce.number().default(3), DRY_RUN: booleanFromEnv().default(false) },
      handle(_event, ctx) {
        seen = ctx.config;
      },
    });
    const fn = await start(def, { env: { DRY_RUN: 'true' } });
    const { postBinary } = await import('./helpers.js');
    await postBinary(fn.url);
    expect(seen).toEqual({ RETRIES: 3, DRY_RUN: true });
  });
});
