// Per-event cost of the state guards: dedupe claim + ordering check + (after the handler) mark
// advance + dedupe complete, on Redis over loopback against the in-memory store, in the same run.
// Usage: node bench/state/state-bench.mjs [--seconds 2] [--concurrency 32]
// Needs the packages built (npm run build -w @veba-functions/state -w @veba-functions/test-helpers).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createStateGuards } from '@veba-functions/state';
import { startRedis } from '@veba-functions/test-helpers';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '32' },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};
const SOURCE = 'https://vcsa.bench.local/sdk';

let nextKey = 1;
function event() {
  const key = nextKey++;
  return {
    specversion: '1.0',
    id: String(key),
    source: SOURCE,
    type: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
    data: {
      Key: key,
      ChainId: key,
      FullFormattedMessage: `bench vm ${key} powered on`,
      Vm: { Name: `vm-${key % 500}` },
    },
  };
}

async function onePass(guards) {
  const e = event();
  const enter = { functionName: 'bench', logger: silent, deadline: Date.now() + 60_000 };
  const verdicts = [];
  for (const g of guards) {
    const v = await g.enter(e, enter);
    if (v.action !== 'proceed') throw new Error(`unexpected ${v.action}`);
    verdicts.push(v);
  }
  // (the handler would run here)
  for (const v of verdicts.reverse()) await v.onSuccess?.();
}

async function measure(guards, workers) {
  const latencies = [];
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      await onePass(guards);
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return {
    events: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: pct(50),
    p99: pct(99),
  };
}

async function bench(name, config, storeOptions) {
  const guards = createStateGuards({ dedupe: true, ordering: true, storeOptions });
  const ctx = { functionName: 'bench', config, logger: silent, metrics: new Registry() };
  for (const g of guards) await g.start(ctx);
  try {
    // Warm up: JIT, script cache (EVALSHA), connection.
    for (let i = 0; i < 500; i++) await onePass(guards);
    const serial = await measure(guards, 1);
    const parallel = await measure(guards, concurrency);
    return { name, serial, parallel };
  } finally {
    for (const g of guards) await g.stop();
  }
}

const redis = await startRedis();
try {
  const results = [
    await bench('memory', {}, {}),
    await bench('redis', { REDIS_URL: redis.url }, { keyPrefix: redis.keyPrefix }),
  ];
  const f = (n) => n.toFixed(3);
  console.log(
    `state guards: dedupe claim + ordering check + advance + complete per event (${seconds}s per row, node ${process.version})`,
  );
  console.log('store   mode           events/s    p50 ms    p99 ms');
  for (const r of results) {
    for (const [mode, m] of [
      ['serial', r.serial],
      [`concurrency ${concurrency}`, r.parallel],
    ]) {
      console.log(
        `${r.name.padEnd(7)} ${mode.padEnd(14)} ${String(Math.round(m.perSecond)).padStart(8)} ${f(m.p50).padStart(9)} ${f(m.p99).padStart(9)}`,
      );
    }
  }
  const [mem, red] = results;
  console.log(
    `added p99 of redis over memory: serial ${f(red.serial.p99 - mem.serial.p99)} ms, concurrency ${concurrency} ${f(red.parallel.p99 - mem.parallel.p99)} ms`,
  );
  console.log(
    `redis throughput vs memory: serial ${(red.serial.perSecond / mem.serial.perSecond).toFixed(3)}x, concurrency ${concurrency} ${(red.parallel.perSecond / mem.parallel.perSecond).toFixed(3)}x`,
  );
} finally {
  await redis.stop();
}
