/**
 * Shared test plumbing: a vcsim per file with its clients, raw vcsim access, a recording proxy,
 * and an in-memory pino destination.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { pino, type Logger } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startVcsim, startVcsimProxy, type VcsimServer } from '@veba-functions/test-helpers';
import type { VCenterClient, VCenterClientOptions } from '../src/index.js';
import { vcsimClient } from '../src/testing/index.js';

export interface RawAnswer {
  status: number;
  body: unknown;
}

/** Talks to vcsim directly (to set up state and to check the client's effects). */
export function rawVcsim(vcsim: VcsimServer) {
  const ca = readFileSync(vcsim.caFile, 'utf8');
  const send = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<RawAnswer> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        `${vcsim.url}${path}`,
        {
          method,
          ca,
          agent: false,
          headers:
            payload === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: text.trim() === '' ? undefined : tryJson(text),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  let session: string | undefined;
  async function login(): Promise<string> {
    const auth = `Basic ${Buffer.from(`${vcsim.username}:${vcsim.password}`).toString('base64')}`;
    const answer = await send('POST', '/rest/com/vmware/cis/session', {
      Authorization: auth,
      'vmware-use-header-authn': 'true',
    });
    return (answer.body as { value: string }).value;
  }
  return {
    send,
    /** An authenticated call with a session of its own. */
    async call(method: string, path: string, body?: unknown): Promise<RawAnswer> {
      session ??= await login();
      return send(method, path, { 'vmware-api-session-id': session }, body);
    },
    /** Calls with a given session id (e.g. one the client used). */
    withSession(id: string, method: string, path: string, body?: unknown): Promise<RawAnswer> {
      return send(method, path, { 'vmware-api-session-id': id }, body);
    },
  };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface RecordingProxy {
  url: string;
  /** Every request the client sent through the proxy, in order. */
  seen: { method: string; path: string; sessionId: string | undefined; authorization: boolean }[];
  /** The most requests that were open at the same time. */
  maxInFlight(): number;
  close(): Promise<void>;
}

/** Plain-HTTP front for vcsim that records what the client sends (session ids included). */
export async function startRecordingProxy(vcsim: VcsimServer): Promise<RecordingProxy> {
  const seen: RecordingProxy['seen'] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const proxy = await startVcsimProxy(vcsim, {
    intercept(req, res) {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => (inFlight -= 1));
      const sessionHeader = req.headers['vmware-api-session-id'];
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        sessionId: typeof sessionHeader === 'string' ? sessionHeader : undefined,
        authorization: req.headers.authorization !== undefined,
      });
      return false;
    },
  });
  return { url: proxy.url, seen, maxInFlight: () => maxInFlight, close: proxy.close };
}

export interface CapturedLogs {
  logger: Logger;
  lines(): Record<string, unknown>[];
  text(): string;
}

/** A pino logger at debug level writing into memory. */
export function captureLogs(): CapturedLogs {
  const chunks: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (chunk: string) => void chunks.push(chunk) });
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** A vcsim for the test file and the clients of its tests (see {@link useVcsim}). */
export interface VcsimFixture {
  readonly vcsim: VcsimServer;
  /** A client of vcsim (the file's defaults under `overrides`), closed after the test. */
  client(overrides?: Partial<VCenterClientOptions>): VCenterClient;
}

/** Starts vcsim once for the test file; the clients a test made are closed after it. */
export function useVcsim(defaults: Partial<VCenterClientOptions> = {}): VcsimFixture {
  let vcsim: VcsimServer | undefined;
  const clients: VCenterClient[] = [];
  beforeAll(async () => {
    vcsim = await startVcsim();
  }, 300_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await vcsim?.stop();
  });
  const started = (): VcsimServer => {
    if (vcsim === undefined) throw new Error('vcsim is not started yet (beforeAll)');
    return vcsim;
  };
  return {
    get vcsim() {
      return started();
    },
    client(overrides = {}) {
      const created = vcsimClient(started(), { ...defaults, ...overrides });
      clients.push(created);
      return created;
    },
  };
}
