/** The factory: one client per vCenter per process, created in `init`, closed in `shutdown`. */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createCredentialScrubber, VCenterError } from './errors.js';
import { createRecorder, type VCenterStats } from './metrics.js';
import { parseServer } from './server-url.js';
import { createSessionCaller, type FlavourOption } from './session.js';
import { createTagging, type Tagging } from './tagging.js';
import { createTransport } from './transport.js';

export interface VCenterClientOptions {
  /** `vc01.corp.local`, `vc01.corp.local:8443` or `https://vc01.corp.local`. */
  server: string;
  username: string;
  password: string;
  /** `auto` (default): `/api` with a fallback to `/rest` on 404; `api` or `rest` force one. */
  flavour?: FlavourOption;
  /** Skip certificate verification for this client only (default false; logs one warning). */
  insecure?: boolean;
  /** CA bundle to trust: PEM text, or the path of a PEM file. */
  ca?: string;
  /** Touch an idle session this often (default 300000 = 5 min; 0 disables). */
  keepAliveIntervalMs?: number;
  /** Deadline of each HTTP request (default 30000). */
  requestTimeoutMs?: number;
  /** Let `tagging.ensureTag` create missing categories and tags (default false). */
  createMissingTags?: boolean;
  /** At most this many parallel connections to vCenter (default 16). */
  maxSockets?: number;
  logger?: Logger;
  /** Registers `veba_vcenter_requests_total{operation,status}` here. */
  metrics?: Registry;
}

export interface VCenterClient {
  /** Logs in (call it in `init` so bad credentials or TLS fail startup). */
  connect(): Promise<void>;
  /** Stops the keep-alive and deletes the session (call it in `shutdown`). */
  close(): Promise<void>;
  readonly tagging: Tagging;
  /** Requests and logins so far (a snapshot). */
  readonly stats: VCenterStats;
  /** `api` or `rest` once logged in. */
  readonly flavour: 'api' | 'rest' | undefined;
}

const DEFAULT_KEEPALIVE_MS = 5 * 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Creates a vCenter client with a warm session.
 *
 * @example
 * const vcenter = createVCenterClient({ server: 'vc01.corp.local', username, password, logger, metrics });
 * await vcenter.connect();
 * const tag = await vcenter.tagging.ensureTag('Lifecycle', 'PoweredOn');
 * await vcenter.tagging.attach(tag.id, event.data.Vm.Vm.Value);
 * await vcenter.close();
 */
export function createVCenterClient(options: VCenterClientOptions): VCenterClient {
  const origin = parseServer(options.server);
  if (typeof options.username !== 'string' || options.username === '')
    throw invalid('username is empty');
  if (typeof options.password !== 'string' || options.password === '')
    throw invalid('password is empty');
  const keepAliveIntervalMs = nonNegative(
    options.keepAliveIntervalMs ?? DEFAULT_KEEPALIVE_MS,
    'keepAliveIntervalMs',
  );
  const requestTimeoutMs = nonNegative(
    options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    'requestTimeoutMs',
  );
  if (requestTimeoutMs === 0) throw invalid('requestTimeoutMs must be positive');
  const flavour = options.flavour ?? 'auto';
  if (!['auto', 'api', 'rest'].includes(flavour))
    throw invalid(`flavour must be auto, api or rest, not "${String(flavour)}"`);

  const insecure = options.insecure === true;
  const logger = options.logger?.child({ component: 'vcenter', server: origin.host });
  if (insecure) {
    logger?.warn(
      'vCenter certificate verification is OFF for this client (VCENTER_INSECURE / VCENTER_CERTIFICATE_ACTION=Ignore)',
    );
  }

  const recorder = createRecorder(options.metrics);
  const credentials = createCredentialScrubber(options);
  const transport = createTransport({
    scrub: credentials.scrub,
    origin,
    verify: !insecure,
    ca: loadCa(options.ca),
    timeoutMs: requestTimeoutMs,
    maxSockets: options.maxSockets ?? 16,
  });
  const caller = createSessionCaller({
    transport,
    recorder,
    logger,
    flavour,
    username: options.username,
    password: options.password,
    keepAliveIntervalMs,
    credentials,
  });
  const tagging = createTagging(caller, { createMissingTags: options.createMissingTags === true });

  return {
    connect: () => caller.connect(),
    close: () => caller.close(),
    tagging,
    get stats() {
      return recorder.snapshot();
    },
    get flavour() {
      return caller.flavour();
    },
  };
}

function loadCa(ca: string | undefined): string | undefined {
  if (ca === undefined || ca.trim() === '') return undefined;
  if (ca.includes('-----BEGIN')) return ca;
  let text: string;
  try {
    text = readFileSync(ca, 'utf8');
  } catch (cause) {
    throw invalid(`cannot read the CA file ${ca}`, cause);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw invalid(`the CA file ${ca} holds no PEM certificate`);
  return text;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) throw invalid(`${name} must be a non-negative number`);
  return value;
}

function invalid(message: string, cause?: unknown): VCenterError {
  return new VCenterError(`invalid vCenter options: ${message}`, {
    type: 'INVALID_OPTIONS',
    retryable: false,
    cause,
  });
}
