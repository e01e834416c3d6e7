import { createConnection } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedis, RedisHelperError, type RedisServer } from '../src/redis.js';

/** One inline command over a raw socket; resolves with the first reply line. */
async function send(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      // Bulk replies ($n) carry their value on the second line.
      const lines = reply.split('\r\n');
      const done =
        lines[0]?.startsWith('$') && lines[0] !== '$-1' ? lines.length >= 3 : lines.length >= 2;
      if (done) {
        socket.destroy();
        resolve(
          lines[0]?.startsWith('$') && lines[0] !== '$-1' ? (lines[1] ?? '') : (lines[0] ?? ''),
        );
      }
    });
    socket.once('error', reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startRedis', () => {
  const servers: RedisServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  it('starts a private server on a free loopback port with a unique key prefix', async () => {
    const a = await startRedis({ dedicated: true });
    const b = await startRedis({ dedicated: true });
    servers.push(a, b);
    expect(a.url).toBe(`redis://127.0.0.1:${a.port}`);
    expect(a.port).not.toBe(b.port);
    expect(a.keyPrefix).not.toBe(b.keyPrefix);
    expect(a.external).toBe(false);
    expect(await send(a.port, 'PING')).toBe('+PONG');
    expect(await send(a.port, 'CONFIG GET appendonly')).toBe('*2');
  });

  it('keeps the data across pause() and restart() on the same port', async () => {
    const redis = await startRedis({ dedicated: true });
    servers.push(redis);
    expect(await send(redis.port, `SET ${redis.keyPrefix}k kept`)).toBe('+OK');
    await redis.pause();
    await expect(send(redis.port, 'PING')).rejects.toThrow();
    await redis.restart();
    expect(await send(redis.port, `GET ${redis.keyPrefix}k`)).toBe('kept');
  });

  it('loses the data on pause({ keepData: false })', async () => {
    const redis = await startRedis({ dedicated: true });
    servers.push(redis);
    expect(await send(redis.port, `SET ${redis.keyPrefix}k gone`)).toBe('+OK');
    await redis.pause({ keepData: false });
    await redis.restart();
    expect(await send(redis.port, `GET ${redis.keyPrefix}k`)).toBe('$-1');
  });

  it('with appendOnly, a SIGKILL (pause({ keepData: false })) keeps every acknowledged write', async () => {
    const redis = await startRedis({ dedicated: true, appendOnly: true });
    servers.push(redis);
    expect(await send(redis.port, `SET ${redis.keyPrefix}k kept`)).toBe('+OK');
    await redis.pause({ keepData: false });
    await redis.restart();
    expect(await send(redis.port, `GET ${redis.keyPrefix}k`)).toBe('kept');
  });

  it('freeze() makes commands hang until thaw()', async () => {
    const redis = await startRedis({ dedicated: true });
    servers.push(redis);
    redis.freeze();
    let answered = false;
    const reply = send(redis.port, 'PING').then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(answered).toBe(false);
    redis.thaw();
    expect(await reply).toBe('+PONG');
  });

  it('stop() kills the process and refuses restart afterwards', async () => {
    const redis = await startRedis({ dedicated: true });
    expect(await send(redis.port, 'PING')).toBe('+PONG');
    await redis.stop();
    await expect(send(redis.port, 'PING')).rejects.toThrow();
    await expect(redis.restart()).rejects.toBeInstanceOf(RedisHelperError);
    await redis.stop();
  });

  it('reuses REDIS_URL with a fresh key prefix and refuses outage helpers', async () => {
    const own = await startRedis({ dedicated: true });
    servers.push(own);
    const reused = await startRedis({ reuseUrl: own.url });
    expect(reused.external).toBe(true);
    expect(reused.url).toBe(own.url);
    expect(reused.port).toBe(own.port);
    expect(reused.keyPrefix).not.toBe(own.keyPrefix);
    await expect(reused.pause()).rejects.toBeInstanceOf(RedisHelperError);
    expect(() => reused.freeze()).toThrow(RedisHelperError);
    await reused.stop();
    expect(await send(own.port, 'PING')).toBe('+PONG');
  });

  it('kills its servers when the test process exits', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const helper = fileURLToPath(new URL('../src/redis.ts', import.meta.url));
    const script = `import { startRedis } from ${JSON.stringify(helper)};
      const r = await startRedis({ dedicated: true });
      process.stdout.write(String(r.port) + '\\n');
      process.exit(0);`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => child.once('exit', r));
    const port = Number(out.trim());
    expect(port).toBeGreaterThan(0);
    await expect(send(port, 'PING')).rejects.toThrow();
    expect(alive(child.pid ?? -1)).toBe(false);
  });
});
