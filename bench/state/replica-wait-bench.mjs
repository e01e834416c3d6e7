// What `WAIT 1` after each completion would cost: the completion write (a one-key Lua script like
// the store's COMPLETE) alone, and followed by `WAIT 1 <timeout>` pipelined on the same connection,
// against a master with one replica found through Sentinel (loopback), in the same run.
// Usage: node bench/state/replica-wait-bench.mjs [--ops 3000] [--rounds 3]
// Needs the packages built (npm run build -w @veba-functions/state -w @veba-functions/test-helpers).
// WAIT: https://redis.io/docs/latest/commands/wait/
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  closeRedisConnection,
  createRedisConnection,
  openRedisConnection,
} from '@veba-functions/state';
import { startRedisSentinel } from '@veba-functions/test-helpers';

const { values } = parseArgs({
  options: { ops: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' } },
});
const ops = Number(values.ops);
const rounds = Number(values.rounds);
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const COMPLETE = `redis.call('HSET', KEYS[1], 'state', 'completed', 'lease', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

const topology = await startRedisSentinel();
const redis = createRedisConnection(
  { REDIS_SENTINELS: topology.sentinelAddresses, REDIS_SENTINEL_MASTER: topology.masterName },
  silent,
);
try {
  await openRedisConnection(redis);
  redis.defineCommand('complete', { numberOfKeys: 1, lua: COMPLETE });

  async function measure(name, once) {
    for (let i = 0; i < 300; i++) await once(`warm:${name}:${i}`);
    const latencies = [];
    const start = performance.now();
    for (let i = 0; i < ops; i++) {
      const t0 = performance.now();
      await once(`${topology.keyPrefix}${name}:${i}`);
      latencies.push(performance.now() - t0);
    }
    const elapsed = performance.now() - start;
    latencies.sort((a, b) => a - b);
    return {
      perSecond: (ops / elapsed) * 1000,
      p50: latencies[Math.floor(ops / 2)],
      p99: latencies[Math.floor(ops * 0.99)],
    };
  }

  console.log(`completion alone vs completion + WAIT 1 (pipelined), ${ops} serial ops per row`);
  console.log('round  mode            ops/s     p50 ms   p99 ms   p50 ratio  ops/s ratio');
  for (let round = 1; round <= rounds; round++) {
    const alone = await measure(`alone${round}`, (key) => redis.complete(key, 60_000));
    const waited = await measure(`wait${round}`, async (key) => {
      const replies = await redis.pipeline().complete(key, 60_000).wait(1, 100).exec();
      if (replies?.[1]?.[1] !== 1) throw new Error('the replica did not acknowledge');
    });
    for (const [mode, m] of [
      ['alone', alone],
      ['+ WAIT 1', waited],
    ]) {
      console.log(
        `${String(round).padEnd(6)} ${mode.padEnd(12)} ${String(Math.round(m.perSecond)).padStart(8)} ${m.p50.toFixed(3).padStart(8)} ${m.p99.toFixed(3).padStart(8)} ${(m.p50 / alone.p50).toFixed(2).padStart(10)} ${(m.perSecond / alone.perSecond).toFixed(2).padStart(12)}`,
      );
    }
  }
} finally {
  await closeRedisConnection(redis);
  await topology.stop();
}
