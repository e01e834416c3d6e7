// vCenter calls per event, and what a warm session buys, against vcsim in the same run:
//   warm     one client, one session: tagging.attach per event (the steady state of a function)
//   cold     a login per event (connect, attach, close), as kn-py-vm-attr does
//   batched  attachToMany over the same events: one call for a batch
//   grouped  the same events, all at once, through createTagAssociations (group commit): calls for
//            a concurrent burst without any window; detaches too (vcsim: no batch detach)
// Numbers are ratios and call counts; absolute rates on vcsim over loopback say little about vCenter.
// Usage: node bench/vcenter/vcenter-bench.mjs [--events 300] [--concurrency 16]
// Needs the packages built (npm run build -w @veba-functions/vcenter -w @veba-functions/test-helpers).
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createTagAssociations, createVCenterClient } from '@veba-functions/vcenter';
import { startVcsim } from '@veba-functions/test-helpers';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '16' },
  },
});
const events = Number(values.events);
const concurrency = Number(values.concurrency);

async function pool(count, worker) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await worker(next++);
    }),
  );
}

const vcsim = await startVcsim();
try {
  const options = {
    server: vcsim.url,
    username: vcsim.username,
    password: vcsim.password,
    ca: vcsim.caFile,
    flavour: 'rest',
  };
  const setup = createVCenterClient({ ...options, createMissingTags: true });
  const tag = await setup.tagging.ensureTag('bench', 'powered-on');
  await setup.close();
  const vmFor = (i) => vcsim.vms[i % vcsim.vms.length];

  const warm = createVCenterClient(options);
  await warm.connect();
  const warmBefore = warm.stats.requests;
  let start = performance.now();
  await pool(events, (i) => warm.tagging.attach(tag.id, vmFor(i)));
  const warmSeconds = (performance.now() - start) / 1000;
  const warmCalls = warm.stats.requests - warmBefore;

  let coldCalls = 0;
  start = performance.now();
  await pool(events, async (i) => {
    const cold = createVCenterClient(options);
    await cold.connect();
    await cold.tagging.attach(tag.id, vmFor(i));
    await cold.close();
    coldCalls += cold.stats.requests;
  });
  const coldSeconds = (performance.now() - start) / 1000;

  const batchBefore = warm.stats.requests;
  start = performance.now();
  const batchSize = 50;
  for (let i = 0; i < events; i += batchSize) {
    const ids = Array.from(
      { length: Math.min(batchSize, events - i) },
      (_, j) => `vm-bench-${i + j}`,
    );
    await warm.tagging.attachToMany(tag.id, ids);
  }
  const batchSeconds = (performance.now() - start) / 1000;
  const batchCalls = warm.stats.requests - batchBefore;

  const associations = createTagAssociations(warm.tagging);
  const grouped = Array.from({ length: events }, (_, i) => `vm-group-${i}`);
  const attachBefore = warm.stats.requests;
  start = performance.now();
  await Promise.all(grouped.map((vm) => associations.attach(tag.id, vm)));
  const groupedSeconds = (performance.now() - start) / 1000;
  const groupedCalls = warm.stats.requests - attachBefore;
  const detachBefore = warm.stats.requests;
  await Promise.all(grouped.map((vm) => associations.detach(tag.id, vm)));
  const detachCalls = warm.stats.requests - detachBefore;
  await associations.close();
  await warm.close();

  const result = {
    events,
    concurrency,
    warm: { callsPerEvent: warmCalls / events, eventsPerSecond: Math.round(events / warmSeconds) },
    cold: { callsPerEvent: coldCalls / events, eventsPerSecond: Math.round(events / coldSeconds) },
    batched: {
      batchSize,
      callsPerEvent: batchCalls / events,
      eventsPerSecond: Math.round(events / batchSeconds),
    },
    grouped: {
      attachCallsPerEvent: groupedCalls / events,
      eventsPerSecond: Math.round(events / groupedSeconds),
      detachCallsPerEvent: detachCalls / events,
    },
    warmOverCold: Number((coldSeconds / warmSeconds).toFixed(2)),
  };
  console.log(JSON.stringify(result, null, 2));
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    new URL('vcenter.json', dir),
    JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2),
  );
} finally {
  await vcsim.stop();
}
