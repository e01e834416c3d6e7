import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRedis, type RedisServer } from '@veba-functions/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const worker = fileURLToPath(new URL('./fixtures/claim-worker.ts', import.meta.url));

function startWorker(redis: RedisServer, key: string, count: number) {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--import', 'tsx', worker, redis.url, redis.keyPrefix, key, String(count)],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => (out.includes('ready\n') ? resolve() : undefined);
    child.stdout.on('data', check);
    child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
  });
  const done = new Promise<string[]>((resolve, reject) => {
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('['));
      if (code !== 0 || !line) reject(new Error(`worker exited ${code}: ${err}`));
      else resolve(JSON.parse(line) as string[]);
    });
  });
  done.catch(() => undefined);
  return { child, ready, done };
}

describe('50 concurrent claims of one identity from 4 processes (redis)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  it('gives exactly one claim', { timeout: 60_000 }, async () => {
    const counts = [13, 13, 12, 12];
    const workers = counts.map((n) => startWorker(redis, 'dedupe:fn:one-identity', n));
    await Promise.all(workers.map((w) => w.ready));
    // All four connected and waiting: release them together.
    for (const w of workers) w.child.stdin.write('go\n');
    const statuses = (await Promise.all(workers.map((w) => w.done))).flat();
    expect(statuses).toHaveLength(50);
    expect(statuses.filter((s) => s === 'claimed')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'in_progress')).toHaveLength(49);
  });
});
