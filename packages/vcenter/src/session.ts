/**
 * One warm vCenter session per client: log in lazily (or in connect()), send
 * `vmware-api-session-id` on every call, and on a 401 log in again exactly once for all the
 * callers that failed together, then retry each call once. A keep-alive touches the session when
 * it has been idle, so vCenter's idle timeout (30 min by default) never ends it.
 */
import type { Logger } from 'pino';
import type { FlavourAdapter, Operation } from './adapter.js';
import { apiAdapter } from './api-adapter.js';
import {
  normaliseVapiType,
  typeFromStatus,
  VCenterError,
  type CredentialScrubber,
} from './errors.js';
import type { RequestRecorder } from './metrics.js';
import { ShapeError } from './parse.js';
import { restAdapter } from './rest-adapter.js';
import type { RawResponse, Transport } from './transport.js';

export type FlavourOption = 'auto' | 'api' | 'rest';

export interface SessionOptions {
  transport: Transport;
  recorder: RequestRecorder;
  logger: Logger | undefined;
  flavour: FlavourOption;
  username: string;
  password: string;
  keepAliveIntervalMs: number;
  /** Told each session id, and applied to vCenter's messages before an error is built. */
  credentials: CredentialScrubber;
}

export interface CallOptions {
  /** Aborts the call (e.g. the handler's deadline signal). */
  signal?: AbortSignal;
}

/** Builds an operation for whichever flavour the session settled on. */
export type OperationBuilder<T> = (adapter: FlavourAdapter) => Operation<T>;

export interface SessionCaller {
  /** Logs in if there is no session yet. */
  connect(): Promise<void>;
  /** Runs an authenticated call with the 401 -> re-login -> retry-once rule. */
  call<T>(build: OperationBuilder<T>, options?: CallOptions): Promise<T>;
  /** The flavour in use, once logged in. */
  flavour(): 'api' | 'rest' | undefined;
  /** Stops the keep-alive and deletes the session. */
  close(): Promise<void>;
}

const SESSION_HEADER = 'vmware-api-session-id';

export function createSessionCaller(options: SessionOptions): SessionCaller {
  const { transport, recorder, logger, credentials } = options;
  const basic = `Basic ${Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64')}`;
  let adapter: FlavourAdapter | undefined =
    options.flavour === 'api' ? apiAdapter : options.flavour === 'rest' ? restAdapter : undefined;
  let sessionId: string | undefined;
  let loggingIn: Promise<string> | undefined;
  let keepAliveRunning = false;
  let closed = false;
  let lastUsed = 0;
  let timer: NodeJS.Timeout | undefined;

  async function send(
    op: Operation<unknown>,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<RawResponse> {
    try {
      const response = await transport.send(op, headers, signal);
      recorder.record(op.name, String(response.status));
      lastUsed = Date.now();
      logger?.debug(
        { operation: op.name, method: op.method, path: op.path, status: response.status },
        'vCenter request',
      );
      return response;
    } catch (error) {
      recorder.record(
        op.name,
        error instanceof VCenterError ? error.vapiType.toLowerCase() : 'error',
      );
      throw error;
    }
  }

  function fail(
    op: Operation<unknown>,
    response: RawResponse,
    using: FlavourAdapter,
  ): VCenterError {
    const parsed = using.parseError(response.body);
    const type =
      parsed.type === undefined ? typeFromStatus(response.status) : normaliseVapiType(parsed.type);
    // The transport scrubbed the body already; this also covers a message built another way.
    const messages = parsed.messages.map(credentials.scrub);
    const detail = messages.length > 0 ? `: ${messages.join('; ')}` : '';
    return new VCenterError(
      `vCenter ${op.method} ${op.path} failed: ${response.status} ${type}${detail}`,
      {
        type,
        status: response.status,
        method: op.method,
        path: op.path,
        operation: op.name,
        messages,
      },
    );
  }

  function read<T>(op: Operation<T>, response: RawResponse, using: FlavourAdapter): T {
    if (response.status < 200 || response.status >= 300) throw fail(op, response, using);
    try {
      return op.parse(response.body, response.status);
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      throw new VCenterError(
        `vCenter ${op.method} ${op.path} answered ${response.status} with an unexpected body: ${error.message}`,
        {
          type: 'UNEXPECTED_RESPONSE',
          status: response.status,
          method: op.method,
          path: op.path,
          operation: op.name,
          retryable: false,
          cause: error,
        },
      );
    }
  }

  async function doLogin(): Promise<string> {
    // auto: /api first (7.0 U2+); a 404 there means an older vCenter (or vcsim) that only has /rest
    const candidates = adapter !== undefined ? [adapter] : [apiAdapter, restAdapter];
    const headers = { Authorization: basic, 'vmware-use-header-authn': 'true' };
    for (const [index, candidate] of candidates.entries()) {
      const op = candidate.login();
      const response = await send(op, headers);
      if (response.status === 404 && index < candidates.length - 1) {
        logger?.debug({ path: op.path }, 'vCenter has no /api endpoint, falling back to /rest');
        continue;
      }
      if (response.status === 401) {
        throw new VCenterError(
          `vCenter ${op.method} ${op.path} failed: 401 UNAUTHENTICATED: the username or password was rejected`,
          {
            type: 'UNAUTHENTICATED',
            status: 401,
            method: op.method,
            path: op.path,
            operation: op.name,
            messages: candidate.parseError(response.body).messages.map(credentials.scrub),
          },
        );
      }
      const id = read(op, response, candidate);
      credentials.addSessionId(id);
      adapter = candidate;
      sessionId = id;
      recorder.login();
      logger?.info({ flavour: candidate.flavour }, 'vCenter session created');
      startKeepAlive();
      return id;
    }
    /* c8 ignore next */
    throw new Error('unreachable: no API flavour to log in with');
  }

  /**
   * Single flight: every caller that needs a session while a login runs shares it. The login
   * has no caller's signal (one caller giving up must not fail the others); the request
   * timeout bounds it.
   */
  function login(): Promise<string> {
    loggingIn ??= doLogin().finally(() => {
      loggingIn = undefined;
    });
    return loggingIn;
  }

  function session(): Promise<string> {
    if (closed) return Promise.reject(closedError());
    return sessionId !== undefined ? Promise.resolve(sessionId) : login();
  }

  /** After a 401 with `stale`: reuse a session someone else already renewed, else log in once. */
  function renew(stale: string): Promise<string> {
    if (closed) return Promise.reject(closedError());
    if (sessionId !== undefined && sessionId !== stale) return Promise.resolve(sessionId);
    if (sessionId === stale) {
      sessionId = undefined;
      logger?.info('vCenter session expired or was deleted, logging in again');
    }
    return login();
  }

  async function call<T>(build: OperationBuilder<T>, callOptions: CallOptions = {}): Promise<T> {
    const { signal } = callOptions;
    const id = await session();
    const using = adapter as FlavourAdapter;
    const op = build(using);
    const response = await send(op, { [SESSION_HEADER]: id }, signal);
    if (response.status !== 401) return read(op, response, using);
    const fresh = await renew(id);
    const retryOp = build(adapter as FlavourAdapter);
    return read(
      retryOp,
      await send(retryOp, { [SESSION_HEADER]: fresh }, signal),
      adapter as FlavourAdapter,
    );
  }

  async function keepAlive(): Promise<void> {
    if (closed || keepAliveRunning || loggingIn !== undefined || sessionId === undefined) return;
    // Any call resets vCenter's idle timer; touch only a session that has been idle.
    if (Date.now() - lastUsed < options.keepAliveIntervalMs) return;
    keepAliveRunning = true;
    const id = sessionId;
    const using = adapter as FlavourAdapter;
    try {
      const op = using.keepAlive();
      const response = await send(op, { [SESSION_HEADER]: id });
      if (response.status === 401) await renew(id);
      else read(op, response, using);
    } catch (error) {
      logger?.warn(
        { err: error },
        'vCenter keep-alive failed; the next call logs in again if needed',
      );
    } finally {
      keepAliveRunning = false;
    }
  }

  function startKeepAlive(): void {
    if (timer !== undefined || options.keepAliveIntervalMs <= 0 || closed) return;
    timer = setInterval(() => void keepAlive(), options.keepAliveIntervalMs);
    // A warm session must never keep the process alive on its own.
    timer.unref();
  }

  return {
    async connect() {
      await session();
    },
    call,
    flavour: () => adapter?.flavour,
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      try {
        await loggingIn;
      } catch {
        // a failed login leaves nothing to delete
      }
      const id = sessionId;
      sessionId = undefined;
      if (id !== undefined && adapter !== undefined) {
        const op = adapter.logout();
        try {
          const response = await send(op, { [SESSION_HEADER]: id });
          if (response.status !== 401) read(op, response, adapter);
          logger?.info('vCenter session deleted');
        } catch (error) {
          logger?.warn(
            { err: error },
            'vCenter session could not be deleted; it ends at its idle timeout',
          );
        }
      }
      transport.close();
    },
  };
}

function closedError(): VCenterError {
  return new VCenterError('vCenter client is closed', { type: 'CLIENT_CLOSED', retryable: false });
}
