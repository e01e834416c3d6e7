// Starting, timing and measuring server processes, shared by the runtime benches.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';

/**
 * Pinning: the bench (autocannon) on CPU 0, the servers under test on CPU 1, when the machine
 * has two CPUs and taskset. Without it the scheduler moves both around and a 2-core machine's
 * numbers swing by a factor of two between rounds. BENCH_PIN=0 turns it off. (Under taskset,
 * availableParallelism() reports 1, hence the BENCH_PINNED check first.)
 */
export const canPin =
  process.env.BENCH_PINNED === '1' ||
  (process.env.BENCH_PIN !== '0' &&
    availableParallelism() >= 2 &&
    spawnSync('taskset', ['-c', '0', 'true']).status === 0);

/**
 * Re-runs this script under `taskset -c 0` when pinning applies and it is not pinned yet.
 * @returns true when the caller should go on (it is pinned, or pinning does not apply).
 */
export function pinSelf() {
  if (!canPin || process.env.BENCH_PINNED === '1') return true;
  const child = spawn('taskset', ['-c', '0', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  child.on('exit', (code) => process.exit(code ?? 1));
  return false;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function readinessStatus(port) {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/health/readiness', agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode);
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

/**
 * Starts `node args...` (pinned to CPU 1 when pinning applies) with `env` plus PORT, and waits
 * for readiness 200, polling every 5 ms. `readyMs` is spawn to first 200. With `lines`, stdout is
 * read and the arrival time of each JSON line's `msg` is kept (`lineAt(msg)`, ms since spawn);
 * without, stdout goes to /dev/null as in the throughput rounds.
 */
export async function launch({ name, node, args, env = {}, lines = false }) {
  const port = await freePort();
  const began = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - began) / 1e6;
  const command = canPin ? 'taskset' : node;
  const argv = canPin ? ['-c', '1', node, ...args] : args;
  const child = spawn(command, argv, {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env, PORT: String(port) },
    stdio: ['ignore', lines ? 'pipe' : 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const seen = new Map();
  let output = '';
  if (lines) {
    let partial = '';
    child.stdout.on('data', (chunk) => {
      const at = since();
      output += chunk;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      for (const line of parts) {
        try {
          const msg = JSON.parse(line).msg;
          if (typeof msg === 'string' && !seen.has(msg)) seen.set(msg, at);
        } catch {
          // not a JSON line: kept in `output` only
        }
      }
    });
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(
        `${name} exited with ${child.exitCode} before it was ready\n${stderr}${output}`.trim(),
      );
    if ((await readinessStatus(port)) === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const readyMs = since();
  return {
    name,
    port,
    readyMs,
    child,
    lineAt: (msg) => seen.get(msg),
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/** CPU time (user + system, all threads) the process has used, in milliseconds. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `load average 1.23 0.98 0.80 (2 CPUs)`: how busy the shared machine was. */
export function loadAverage() {
  return `load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')} (${cpus().length} CPUs)`;
}

/** A markdown table of rows (first row: header). */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  const line = (row) => `| ${row.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`]
    .concat(rows.slice(1).map(line))
    .join('\n');
}

/** The targets (issue 15), as ratios against bare node:http in the same run. */
export const TARGETS = { startVsBare: 2.0, rssVsBare: 1.2, throughputVsBare: 0.8, vsFaas: 2.5 };

/** `PASS` or `MISSED`, for a target line. */
export const verdict = (ok) => (ok ? 'PASS' : 'MISSED');
