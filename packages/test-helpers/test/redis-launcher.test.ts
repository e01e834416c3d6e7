import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LaunchError,
  createTempDir,
  freePort,
  launchProcess,
  type LaunchedProcess,
} from '../src/child-process.js';
import { RedisCommandError, redisCommand } from '../src/redis-command.js';

// The shared launcher under the Redis helpers, exercised with node children (exact control over
// signals and output) and with redis-server itself.

/** Running, not a zombie (an orphan's exit is reaped by whoever PID 1 is, which may be never). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const node = (script: string) => ({ command: process.execPath, args: ['-e', script] });

describe('launchProcess', () => {
  it('captures stdout and stderr, reports lines, and stops with the stop signal', async () => {
    const lines: string[] = [];
    const proc = await launchProcess({
      ...node(`console.log('hello'); console.error('oops'); setInterval(() => {}, 1000);`),
      name: 'chatty',
      ready: (p) => p.logs().includes('oops'),
    });
    proc.onLine((line) => lines.push(line));
    expect(proc.running).toBe(true);
    expect(proc.logs()).toContain('hello');
    await proc.stop();
    expect(proc.running).toBe(false);
    expect(await proc.exited).toEqual({ code: null, signal: 'SIGTERM' });
    await proc.stop();
  });

  it('falls back to SIGKILL when the stop signal is ignored', async () => {
    const proc = await launchProcess({
      ...node(
        `process.on('SIGTERM', () => console.log('ignored')); console.log('up'); setInterval(() => {}, 1000);`,
      ),
      ready: (p) => p.logs().includes('up'),
      stopTimeoutMs: 200,
    });
    await proc.stop();
    expect((await proc.exited).signal).toBe('SIGKILL');
    expect(proc.logs()).toContain('ignored');
  });

  it('fails with the output when the process exits before it is ready', async () => {
    const attempt = launchProcess({
      ...node(`console.error('cannot bind'); process.exit(3);`),
      name: 'quitter',
      ready: () => false,
    });
    await expect(attempt).rejects.toBeInstanceOf(LaunchError);
    await expect(attempt).rejects.toThrow(
      /quitter exited before it was ready \(code 3.*cannot bind/s,
    );
  });

  it('gives onLine every line from the first, and says how a process that exited did so', async () => {
    const lines: string[] = [];
    const attempt = launchProcess({
      ...node(`console.log('port 4242'); console.error('last words'); process.exit(5);`),
      name: 'early',
      onLine: (line, stream) => lines.push(`${stream}: ${line}`),
      ready: () => false,
    });
    const error = (await attempt.catch((e: unknown) => e)) as LaunchError;
    expect(error.exit).toEqual({ code: 5, signal: null });
    expect(error.logs).toContain('last words');
    expect(lines.sort()).toEqual(['stderr: last words', 'stdout: port 4242']);
  });

  it('kills a process that is not ready in time and says why', async () => {
    let seen: LaunchedProcess | undefined;
    const attempt = launchProcess({
      ...node(`setInterval(() => {}, 1000);`),
      name: 'sleeper',
      readyTimeoutMs: 300,
      ready: (p) => {
        seen = p;
        throw new Error('not listening');
      },
    });
    await expect(attempt).rejects.toThrow(/sleeper was not ready within 300 ms: not listening/);
    expect(seen?.running).toBe(false);
  });

  it('reports a command that cannot be spawned', async () => {
    await expect(
      launchProcess({ command: '/nonexistent/binary', ready: () => true }),
    ).rejects.toThrow(/could not be started: .*ENOENT/);
  });

  it('with stdinLifeline the child ends when this process is SIGKILLed (no exit hook runs)', async () => {
    const launcher = fileURLToPath(new URL('../src/child-process.ts', import.meta.url));
    const child = `process.stdin.on('end', () => process.exit(0)); process.stdin.resume(); console.log('up');`;
    const parent = `import { launchProcess } from ${JSON.stringify(launcher)};
      const p = await launchProcess({ command: process.execPath, args: ['-e', ${JSON.stringify(child)}],
        stdinLifeline: true, ready: (x) => x.logs().includes('up') });
      process.stdout.write(String(p.pid) + '\\n');
      process.kill(process.pid, 'SIGKILL');`;
    const run = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', parent], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    run.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const [, signal] = (await once(run, 'exit')) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    const pid = Number(out.trim());
    expect(pid).toBeGreaterThan(0);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      alive = isAlive(pid);
      if (alive) await new Promise((r) => setTimeout(r, 20));
    }
    expect(alive).toBe(false);
  });

  it('freezes and thaws a redis-server with signals', async () => {
    const port = await freePort();
    const dir = createTempDir('launcher-test-');
    const proc = await launchProcess({
      command: '/usr/bin/redis-server',
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir.path],
      ready: async () => (await redisCommand(port, ['PING'])) === 'PONG',
    });
    try {
      proc.signal('SIGSTOP');
      await expect(redisCommand(port, ['PING'], { timeoutMs: 200 })).rejects.toBeInstanceOf(
        RedisCommandError,
      );
      proc.signal('SIGCONT');
      expect(await redisCommand(port, ['PING'])).toBe('PONG');
    } finally {
      await proc.kill();
      dir.remove();
    }
    expect(existsSync(dir.path)).toBe(false);
    await expect(redisCommand(port, ['PING'])).rejects.toThrow();
  });
});

describe('createTempDir', () => {
  it('creates a private directory and removes it', () => {
    const dir = createTempDir('launcher-test-');
    expect(existsSync(dir.path)).toBe(true);
    expect(join(dir.path)).toContain('launcher-test-');
    dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });
});

describe('redisCommand', () => {
  it('encodes arguments as RESP and decodes error replies', async () => {
    const port = await freePort();
    const dir = createTempDir('launcher-test-');
    const proc = await launchProcess({
      command: '/usr/bin/redis-server',
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir.path],
      ready: async () => (await redisCommand(port, ['PING'])) === 'PONG',
    });
    try {
      expect(await redisCommand(port, ['SET', 'with space', 'a\r\nb'])).toBe('OK');
      expect(await redisCommand(port, ['GET', 'with space'])).toBe('a\r\nb');
      expect(await redisCommand(port, ['RPUSH', 'l', 1, 2])).toBe(2);
      expect(await redisCommand(port, ['LRANGE', 'l', 0, -1])).toEqual(['1', '2']);
      expect(await redisCommand(port, ['GET', 'missing'])).toBeNull();
      await expect(redisCommand(port, ['NOSUCHCOMMAND'])).rejects.toThrow(/unknown command/);
    } finally {
      await proc.kill();
      dir.remove();
    }
  });
});
