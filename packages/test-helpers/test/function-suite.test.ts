/**
 * The vitest side of the harness: its hooks (peers once, functions stopped after each test, the
 * secret check), broker-like retries, the corpus walk and the start-refused check, against small
 * functions defined here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  DependencyUnavailableError,
  InvalidEventError,
  defineFunction,
} from '@veba-functions/runtime';
import { describe, expect, it } from 'vitest';
import { fixtureEvent, triggerTypes, type TestFunction } from '../src/index.js';
import {
  expectCorpusAnswered,
  expectStartRefused,
  extendHarness,
  leakedSecrets,
  secretForms,
  useFunctionHarness,
} from '../src/function-suite.js';

const SECRET = 'XXsuite-secretXX';
const events: string[] = [];
let failuresLeft = 0;

/** Answers 503 while `failuresLeft` lasts, 400 for data without `Key`, else 200 with the id. */
const definition = () =>
  defineFunction({
    name: 'suite',
    handle(event, ctx) {
      events.push(event.id);
      ctx.logger.info({ env: ctx.config }, 'seen');
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw new DependencyUnavailableError('not yet');
      }
      const data = event.data as { Key?: unknown } | undefined;
      if (typeof data?.Key !== 'number' && typeof data?.Key !== 'string')
        throw new InvalidEventError('data.Key is missing');
      return { status: 200, body: { id: event.id, counted: true } };
    },
  });

const resets: number[] = [];
const started: TestFunction[] = [];
const h = useFunctionHarness({
  peers: () => Promise.resolve({ name: 'peer' }),
  reset: () => void resets.push(events.length),
  close: () => Promise.resolve(),
  secrets: () => [SECRET],
  env: () => ({ FUNCTION_TIMEOUT_SECONDS: '5' }),
});

describe('useFunctionHarness', () => {
  it('starts peers once before the tests and a function with the harness env under its own', async () => {
    expect(h.peers).toEqual({ name: 'peer' });
    const fn = await h.start(definition(), { LOG_LEVEL: 'debug' });
    started.push(fn);
    expect(fn.ready).toBe(true);
    const reply = await h.send(fn, fixtureEvent('kn-pcli-tag__test-payload.json', { id: 'one' }));
    expect(reply.json()).toEqual({ id: 'one', counted: true });
  });

  it('stopped the functions of the previous test and reset the peers', () => {
    expect(started[0]!.ready).toBe(false);
    expect(resets).toHaveLength(1);
  });

  it('retries 5xx like the broker, until a final answer', async () => {
    const fn = await h.start(definition());
    failuresLeft = 2;
    const attempts = await h.sendWithRetries(
      fn,
      fixtureEvent('kn-pcli-tag__test-payload.json', { id: 'retried' }),
      { pauseMs: 1 },
    );
    expect(attempts.map((a) => a.status)).toEqual([503, 503, 200]);
  });

  it('h.stop stops a function before its test ends', async () => {
    const fn = await h.start(definition());
    await h.stop(fn);
    expect(fn.ready).toBe(false);
  });

  it('walks the corpus: 200 or 400 for every sample the broker could deliver', async () => {
    const fn = await h.start(definition());
    const counted = await expectCorpusAnswered(h, fn, (reply) => reply.json().counted === true);
    expect(counted).toBeGreaterThanOrEqual(20);
  });

  it('expectStartRefused: the reason matches and the secret is not echoed', async () => {
    const refusing = defineFunction({
      name: 'refusing',
      init() {
        throw new ConfigError([`TEST_KEY: invalid`]);
      },
      handle: () => undefined,
    });
    await expectStartRefused(h.start(refusing), /TEST_KEY: invalid/, SECRET);
    await expect(expectStartRefused(h.start(definition()), /never/)).rejects.toThrow(
      /expected the start to fail/,
    );
  });
});

describe('extendHarness', () => {
  it('adds members to the harness, a getter read when used', () => {
    let reads = 0;
    const extended = extendHarness(h, {
      get counted() {
        reads += 1;
        return h.peers.name;
      },
      twice: (n: number) => n * 2,
    });
    expect(reads).toBe(0);
    expect([extended.counted, extended.twice(2), extended.peers]).toEqual([
      'peer',
      4,
      { name: 'peer' },
    ]);
    expect(reads).toBe(1);
  });
});

describe('leakedSecrets', () => {
  it('finds a secret as it is, URL-encoded, base64 and base64url; nothing in clean text', () => {
    const secret = 'p@ss/wörd?';
    for (const form of secretForms(secret)) {
      expect(leakedSecrets(`before ${form} after`, [secret])).toContain(form);
    }
    expect(secretForms(secret)).toHaveLength(4);
    expect(leakedSecrets('nothing here', [secret, SECRET])).toEqual([]);
  });
});

describe('triggerTypes', () => {
  it("reads every Trigger's type filter of a values.yaml, in order", () => {
    const dir = mkdtempSync(join(tmpdir(), 'veba-values-'));
    const file = join(dir, 'values.yaml');
    writeFileSync(
      file,
      [
        'functionName: x',
        'triggers:',
        '  - name: on',
        '    filter:',
        '      attributes:',
        '        type: com.vmware.vsphere.VmPoweredOnEvent.v0',
        '  - name: sso',
        '    filter:',
        '      attributes:',
        '        type: com.vmware.vsphere.com.vmware.sso.LoginFailure.v0',
      ].join('\n'),
    );
    try {
      expect(triggerTypes(file)).toEqual([
        'com.vmware.vsphere.VmPoweredOnEvent.v0',
        'com.vmware.vsphere.com.vmware.sso.LoginFailure.v0',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
