/**
 * The vitest side of the function harness (`@veba-functions/test-helpers/vitest`): the hooks an
 * HTTP test file of a function registers (peers started once, functions stopped after each test,
 * no secret in any log line or answer of the file), and the checks every function's HTTP tests
 * make. Kept apart from the main entry so that tools using the harness never load vitest.
 */
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { AnyFunctionDefinition } from '@veba-functions/runtime';
import { loadVebaFixtures } from './fixtures.js';
import {
  fixtureEvent,
  sendCloudEvent,
  startTestFunction,
  type CloudEventInput,
  type HttpReply,
  type SendOptions,
  type TestFunction,
} from './function-harness.js';

/** Environment variables of a function start (`undefined` leaves one unset). */
export type TestEnv = Record<string, string | undefined>;

/** Options of {@link useFunctionHarness}. */
export interface FunctionHarnessOptions<P> {
  /** Starts the file's peers (redis-server, vcsim, a receiver), once, before its tests. */
  peers(): Promise<P>;
  /** After each test, once its functions stopped (e.g. a receiver forgets what it got). */
  reset?(peers: P): void | Promise<void>;
  /** Stops the peers after the file's tests. */
  close(peers: P): Promise<void>;
  /**
   * Values that must reach no log line and no HTTP answer of the file, in any of the forms of
   * {@link secretForms}; checked after its tests, which must have logged or answered something.
   */
  secrets?(peers: P): readonly string[];
  /** Variables every start gets, under its own (e.g. `REDIS_URL`). */
  env?(peers: P): TestEnv;
}

/** What {@link useFunctionHarness} gives a test file. */
export interface FunctionHarness<P> {
  /** The peers (inside tests and hooks that run after the harness's `beforeAll`). */
  readonly peers: P;
  /** Starts a function with the harness's variables under `env`; stopped after the test. */
  start: (definition: AnyFunctionDefinition, env?: TestEnv) => Promise<TestFunction>;
  /** Stops a function before its test ends (its logs still count). */
  stop: (fn: TestFunction) => Promise<void>;
  /** `sendCloudEvent`, its answer kept for the secret check. */
  send: (fn: TestFunction, event: CloudEventInput, options?: SendOptions) => Promise<HttpReply>;
  /**
   * Delivers like the broker: again after 409 (in progress) and 5xx, `pauseMs` (250) apart, up to
   * 20 times. Every answer, in order.
   */
  sendWithRetries: (
    fn: TestFunction,
    event: CloudEventInput,
    options?: { pauseMs?: number },
  ) => Promise<HttpReply[]>;
}

/**
 * Registers the hooks of a function's HTTP test file and returns its harness.
 *
 * @example
 * const h = useFunctionHarness({
 *   peers: async () => ({ redis: await startRedis() }),
 *   close: ({ redis }) => redis.stop(),
 *   env: ({ redis }) => ({ REDIS_URL: redis.url }),
 * });
 * it('...', async () => {
 *   const fn = await h.start(createEcho());
 *   expect((await h.send(fn, fixtureEvent('kn-py-echo__testevent.json'))).status).toBe(204);
 * });
 */
export function useFunctionHarness<P>(options: FunctionHarnessOptions<P>): FunctionHarness<P> {
  let peers: P | undefined;
  const running = new Set<TestFunction>();
  const seen: string[] = [];
  const ready = (): P => {
    if (peers === undefined) throw new Error('the harness peers are not started (beforeAll)');
    return peers;
  };
  const stop = async (fn: TestFunction): Promise<void> => {
    if (!running.delete(fn)) return;
    await fn.stop();
    seen.push(fn.logs.text());
  };
  const send = async (
    fn: TestFunction,
    event: CloudEventInput,
    sendOptions?: SendOptions,
  ): Promise<HttpReply> => {
    const reply = await sendCloudEvent(fn.url, event, sendOptions);
    seen.push(reply.body);
    return reply;
  };

  beforeAll(async () => {
    peers = await options.peers();
  });
  afterEach(async () => {
    await Promise.all([...running].map(stop));
    if (peers !== undefined) await options.reset?.(peers);
  });
  afterAll(async () => {
    if (peers !== undefined) await options.close(peers);
    const secrets = peers === undefined ? [] : (options.secrets?.(peers) ?? []);
    if (secrets.length === 0) return;
    const all = seen.join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(leakedSecrets(all, secrets)).toEqual([]);
  });

  return {
    get peers() {
      return ready();
    },
    start: async (definition, env = {}) => {
      const fn = await startTestFunction(definition, {
        env: { ...options.env?.(ready()), ...env },
      });
      running.add(fn);
      return fn;
    },
    stop,
    send,
    sendWithRetries: async (fn, event, retryOptions = {}) => {
      const attempts: HttpReply[] = [];
      for (let i = 0; i < 20; i++) {
        const reply = await send(fn, event);
        attempts.push(reply);
        if (reply.status !== 409 && reply.status < 500) break;
        await new Promise((resolve) => setTimeout(resolve, retryOptions.pauseMs ?? 250));
      }
      return attempts;
    },
  };
}

/**
 * The harness with a package's own members added (getters stay getters, read when used): how a
 * package builds its harness on this one.
 *
 * @example
 * return extendHarness(harness, { get redis() { return harness.peers.redis; } });
 */
export function extendHarness<P, X extends object>(
  harness: FunctionHarness<P>,
  extension: X,
  // NoInfer: X comes from the extension, never from where the result goes.
): FunctionHarness<P> & NoInfer<X> {
  return Object.defineProperties(
    harness,
    Object.getOwnPropertyDescriptors(extension),
  ) as FunctionHarness<P> & X;
}

/**
 * The forms a secret may leak in: as it is, URL-encoded, base64 and base64url (a `Basic` header,
 * an AUTH PLAIN line, a URL echoed in an error page).
 */
export function secretForms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
}

/** The forms of `secrets` (see {@link secretForms}) that `text` contains. */
export function leakedSecrets(text: string, secrets: readonly string[]): string[] {
  return secrets.flatMap(secretForms).filter((form) => text.includes(form));
}

/**
 * Sends every corpus sample the broker could deliver (CloudEvents 1.0 with a type; one source per
 * sample, so dedupe does not merge samples sharing an id; a sample that is not a complete
 * CloudEvent goes as its raw body) and expects 200 or 400 (never 500), 400s with
 * `error: 'invalid_event'`. Returns how many answers `counted` says were processed.
 *
 * @example
 * const posted = await expectCorpusAnswered(h, fn, (reply) => reply.json().posted === true);
 */
export async function expectCorpusAnswered(
  harness: Pick<FunctionHarness<unknown>, 'send'>,
  fn: TestFunction,
  counted: (reply: HttpReply) => boolean,
): Promise<number> {
  let count = 0;
  for (const [index, fixture] of loadVebaFixtures().entries()) {
    if (fixture.attributes?.specversion !== '1.0' || fixture.attributes.type === undefined)
      continue;
    const source = `https://vc-${index}.example/sdk`;
    const reply = fixture.valid
      ? await harness.send(fn, fixtureEvent(fixture.file, { source }))
      : await harness.send(
          fn,
          { ...(fixture.attributes as { id: string; source: string; type: string }), source },
          { rawBody: fixture.body },
        );
    expect({ file: fixture.file, status: reply.status }).toEqual({
      file: fixture.file,
      status: expect.toSatisfy((s: number) => s === 200 || s === 400) as unknown,
    });
    if (reply.status === 400) expect(reply.json()).toMatchObject({ error: 'invalid_event' });
    if (reply.status === 200 && counted(reply)) count += 1;
  }
  return count;
}

/**
 * Expects a start to fail naming what is wrong (`reason`), without echoing `secret`.
 *
 * @example
 * await expectStartRefused(start({ SLACK_WEBHOOK_URL: url }), /SLACK_WEBHOOK_URL: invalid/, 'hunter2');
 */
export async function expectStartRefused(
  starting: Promise<unknown>,
  reason: RegExp,
  secret?: string,
): Promise<void> {
  const error = await starting.then(
    () => new Error('expected the start to fail'),
    (e: unknown) => e as Error,
  );
  expect(error.message).toMatch(reason);
  if (secret !== undefined) expect(error.message).not.toContain(secret);
}
