/** Accepts what VEBA users keep in VCENTER_SERVER: a hostname, `host:port` or a URL. */
import { VCenterError } from './errors.js';

/**
 * Returns the origin to talk to: `vc01.corp.local` -> `https://vc01.corp.local`,
 * `vc01:8443` -> `https://vc01:8443`, `https://vc01.corp.local/sdk` -> `https://vc01.corp.local`.
 * `http://` is accepted (test servers, TLS-terminating proxies); any path is dropped.
 */
export function parseServer(server: string): URL {
  const trimmed = server.trim();
  if (trimmed === '') throw invalid('server is empty');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw invalid(`server "${trimmed}" is not a hostname, host:port or https:// URL`, cause);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(`server "${trimmed}" must use https:// (or http://), not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid('server must not carry credentials: use the username and password options');
  }
  return new URL(url.origin);
}

function invalid(message: string, cause?: unknown): VCenterError {
  return new VCenterError(`invalid vCenter options: ${message}`, {
    type: 'INVALID_OPTIONS',
    cause,
  });
}
