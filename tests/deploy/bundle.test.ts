// The bundler (scripts/bundle-function.mjs) against the dependencies that have caught bundlers
// out elsewhere: pino (worker threads for transports: unused here), ioredis (JSON command table,
// optional requires) and prom-client (Node built-ins required at load). A probe entry using each
// is bundled the way a function is, copied to a folder without node_modules and run against a
// real redis-server.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../packages/test-helpers/src/redis.js';
import { repoRoot } from './support/helm.js';

const execFileP = promisify(execFile);

describe('bundle-function.mjs with pino, ioredis and prom-client', () => {
  let scratch: string;
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'veba-bundle-'));
    redis = await startRedis({ dedicated: true });
  });

  afterAll(async () => {
    await redis?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('bundles them into one module that needs nothing but Node, and they work', async () => {
    const outfile = join(scratch, 'probe', 'main.mjs');
    await execFileP(
      'node',
      [
        'scripts/bundle-function.mjs',
        '--entry',
        'tests/deploy/fixtures/bundled-dependencies.mjs',
        '--outfile',
        outfile,
      ],
      { cwd: repoRoot },
    );
    const source = readFileSync(outfile, 'utf8');
    // Static imports of the bundle: Node's own modules only.
    const imports = [...source.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports.every((name) => name!.startsWith('node:'))).toBe(true);
    const licences = readFileSync(join(scratch, 'probe', 'THIRD-PARTY-LICENSES.txt'), 'utf8');
    for (const dependency of ['ioredis@', 'pino@', 'prom-client@', 'sonic-boom@'])
      expect(licences).toContain(dependency);

    const { stdout, stderr } = await execFileP('node', [outfile], {
      cwd: join(scratch, 'probe'),
      env: { PATH: process.env['PATH'], REDIS_URL: redis!.url },
      timeout: 20_000,
    });
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      probe: 'bundle',
      msg: 'probe done',
      value: 'stored',
      counted: 2,
      defaultMetrics: true,
      counter: true,
      err: { type: 'ProbeFailure', message: 'serialised like any error' },
    });
  });
});
