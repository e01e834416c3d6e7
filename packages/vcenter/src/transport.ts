/**
 * HTTP to one vCenter: axios over keep-alive agents owned by this client (TLS settings never
 * leak into the process: no NODE_TLS_REJECT_UNAUTHORIZED), a deadline on every request, and
 * bodies read as text so that an empty or non-JSON answer (vcsim's 401 and 404) is handled here.
 */
import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance } from 'axios';
import type { Operation } from './adapter.js';
import { typeFromCode, VCenterError } from './errors.js';

export interface TransportOptions {
  origin: URL;
  /** Verify the server certificate (default true). */
  verify: boolean;
  /** Extra trusted CA certificates (PEM). */
  ca: string | undefined;
  timeoutMs: number;
  maxSockets: number;
  /**
   * Applied to the body of every non-2xx answer and to the text of every failure before anything
   * keeps it (see createCredentialScrubber); 2xx bodies are data (the login's is the session id).
   */
  scrub?: (text: string) => string;
}

export interface RawResponse {
  status: number;
  /** Parsed JSON, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
}

export interface Transport {
  /** Sends one request; throws VCenterError only when no HTTP answer arrived. */
  send(
    op: Operation<unknown>,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<RawResponse>;
  close(): void;
}

export function createTransport(options: TransportOptions): Transport {
  const scrub = options.scrub ?? ((text: string) => text);
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: options.maxSockets,
    rejectUnauthorized: options.verify,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  const instance: AxiosInstance = axios.create({
    baseURL: options.origin.origin,
    httpAgent,
    httpsAgent,
    // axios' own timeout is an idle timer on the socket; the AbortSignal below is the deadline.
    timeout: options.timeoutMs,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    maxRedirects: 0,
    // vCenter is reached directly: axios would otherwise follow HTTPS_PROXY (set in many clusters
    // for internet egress), and it does not tunnel https through a proxy with CONNECT.
    proxy: false,
    headers: { Accept: 'application/json', 'User-Agent': 'veba-functions-vcenter' },
  });

  return {
    async send(op, headers, signal) {
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
      try {
        const response = await instance.request<string>({
          method: op.method,
          url: op.path,
          headers:
            op.body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
          data: op.body === undefined ? undefined : JSON.stringify(op.body),
          signal: combined,
        });
        const ok = response.status >= 200 && response.status < 300;
        const text = ok || response.data === undefined ? response.data : scrub(response.data);
        return { status: response.status, body: parseBody(text) };
      } catch (error) {
        const timedOut = deadline.aborted && signal?.aborted !== true;
        const code = timedOut
          ? 'ETIMEDOUT'
          : signal?.aborted === true
            ? 'ABORT_ERR'
            : errorCode(error);
        const type = typeFromCode(code);
        const described = scrub(describe(error));
        const detail =
          type === 'TIMED_OUT' ? `no answer within ${options.timeoutMs} ms` : described;
        // The cause is rebuilt from the message and code only: an AxiosError carries the
        // request config, and with it the Authorization and session headers.
        const cause = Object.assign(new Error(described), { code });
        throw new VCenterError(`vCenter ${op.method} ${op.path} failed: ${type}: ${detail}`, {
          type,
          method: op.method,
          path: op.path,
          operation: op.name,
          cause,
        });
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function parseBody(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  // axios wraps the socket error; the TLS verdict is on the cause (e.g. DEPTH_ZERO_SELF_SIGNED_CERT)
  if (typeof e.cause?.code === 'string') return e.cause.code;
  return typeof e.code === 'string' ? e.code : undefined;
}

function describe(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message !== '') return cause.message;
    if (error instanceof Error) return error.message;
  }
  return String(error);
}
