/**
 * Requests no ordinary client makes: a request whose head or body trickles in a byte at a time,
 * and the Knative dispatcher's own HTTP client (Go net/http), built from the runtime's go-post
 * fixture rather than copied.
 */
import { execFile, execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createTempDir } from '@veba-functions/test-helpers';
import { repoRoot } from './child-function.js';

/** What a trickling client saw: the answer's first line, and how many bytes it got to send. */
export interface Trickled {
  statusLine: string;
  dripped: number;
  total: number;
}

/**
 * Sends `prefix`, then `drip` one byte every `everyMs`, until the server answers or closes (or
 * `drip` is used up); resolves with the answer's status line.
 */
export function trickle(
  url: string,
  prefix: string,
  drip: string,
  everyMs: number,
): Promise<Trickled> {
  const { port, hostname } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    let dripped = 0;
    const timer = setInterval(() => {
      if (dripped === drip.length) return done();
      socket.write(drip[dripped++]!);
    }, everyMs);
    function done(): void {
      clearInterval(timer);
      socket.destroy();
      resolve({ statusLine: text.split('\r\n')[0] ?? '', dripped, total: drip.length });
    }
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(prefix);
  });
}

/** A binary-mode request head for `POST /`, with the given framing header(s). */
export function binaryHead(id: string, framing: string): string {
  return (
    `POST / HTTP/1.1\r\nHost: fn\r\nce-id: ${id}\r\nce-source: https://vcenter-01:443/sdk\r\n` +
    'ce-type: com.vmware.vsphere.VmPoweredOnEvent.v0\r\nce-specversion: 1.0\r\n' +
    `content-type: application/json\r\n${framing}\r\n\r\n`
  );
}

/** POSTs with Go's net/http client, as the Knative broker's dispatcher does. */
export interface GoPost {
  /** `status <code>` or `error <message>`, as the client saw it. */
  (url: string, bytes: number, framing: 'length' | 'chunked'): Promise<string>;
}

/**
 * Builds packages/runtime/test/fixtures/go-post (standard library only, GOPATH mode, offline):
 * it writes the whole body before it looks for the answer, so a server that closes on a body
 * over its limit without reading it shows as a network error, not a 413.
 */
export function buildGoPost(): GoPost {
  const dir = createTempDir('veba-go-post-');
  const binary = join(dir.path, 'go-post');
  const source = join(repoRoot, 'packages', 'runtime', 'test', 'fixtures', 'go-post', 'main.go');
  execFileSync('go', ['build', '-o', binary, source], {
    env: { ...process.env, GO111MODULE: 'off', GOPROXY: 'off', GOFLAGS: '' },
    stdio: 'pipe',
  });
  return (url, bytes, framing) =>
    new Promise<string>((resolve, reject) =>
      execFile(binary, [url, String(bytes), framing], (error, stdout) =>
        error
          ? reject(new Error(`go-post failed: ${stdout}`, { cause: error }))
          : resolve(stdout.trim()),
      ),
    );
}
