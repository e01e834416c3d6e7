/**
 * A plain-HTTP front for vcsim (its TLS terminated here with vcsim's own certificate as the CA):
 * a client pointed at it talks to vcsim, and a test sees or takes over each request on the way
 * (record the session ids sent, answer 503, never answer).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { VcsimServer } from './vcsim.js';

/** Options of {@link startVcsimProxy}. */
export interface VcsimProxyOptions {
  /**
   * Sees every request first; returns true when it answered (or holds) the request itself, false
   * to pass it on to vcsim.
   */
  intercept?(req: http.IncomingMessage, res: http.ServerResponse): boolean;
}

/** A running proxy. */
export interface VcsimProxy {
  /** `http://127.0.0.1:<port>`: give it as `VCENTER_SERVER` (or a client's `server`). */
  readonly url: string;
  /** Closes it, connections held by `intercept` included. */
  close: () => Promise<void>;
}

/**
 * Starts a proxy in front of `vcsim` on a free loopback port.
 *
 * @example
 * const proxy = await startVcsimProxy(vcsim, {
 *   intercept: (req, res) => req.url?.includes('/tagging/') ? (res.writeHead(503).end(), true) : false,
 * });
 */
export async function startVcsimProxy(
  vcsim: Pick<VcsimServer, 'url' | 'host' | 'port' | 'caFile'>,
  options: VcsimProxyOptions = {},
): Promise<VcsimProxy> {
  const ca = readFileSync(vcsim.caFile, 'utf8');
  const server = http.createServer((req, res) => {
    if (options.intercept?.(req, res) === true) return;
    const upstream = https.request(
      `${vcsim.url}${req.url ?? '/'}`,
      {
        method: req.method,
        headers: { ...req.headers, host: `${vcsim.host}:${vcsim.port}` },
        ca,
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
