// Group commit, measured on the functions themselves (over HTTP, against vcsim, same run):
//   serial   a stream of power-ons, one after the other (the steady state): what batching adds to
//            each event = median(power-on) - median(an event the function skips) - median(one
//            direct attach-tag-to-multiple-objects call of one VM from a warm client); target < 2 ms.
//            Rounds interleave the three, so machine noise hits all of them alike.
//   burst    N concurrent events: vCenter calls per event (median and worst of the bursts).
// for vm-tag-on-power-on (attach), vm-tag (attach, detach) and vm-owner-tag (one owner; N owners).
// State is in memory by default (the guards then cost microseconds, so the difference is the
// function's own); --redis runs the bursts again with the dedupe and ordering guards on Redis.
// Usage: node bench/group-commit/group-commit-bench.mjs [--events 100] [--burst 50] [--bursts 5] [--redis]
// Needs the workspaces built (npm run build).
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startRedis, startTestFunction, startVcsim } from '@veba-functions/test-helpers';
import { createVCenterClient } from '@veba-functions/vcenter';
import { createVmOwnerTag } from '@veba-functions/vm-owner-tag';
import { createVmTag } from '@veba-functions/vm-tag';
import { createVmTagOnPowerOn } from '@veba-functions/vm-tag-on-power-on';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100' },
    burst: { type: 'string', default: '50' },
    bursts: { type: 'string', default: '5' },
    redis: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const BURST = Number(values.burst);
const BURSTS = Number(values.bursts);
const SOURCE = 'https://vcsa.bench.local/sdk';
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

let nextKey = 1_000;
/** A binary-mode vSphere CloudEvent, as the broker posts it. */
function event(eventClass, vm, user = 'VSPHERE.LOCAL\\alice') {
  const key = nextKey++;
  return {
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': String(key),
      'ce-source': SOURCE,
      'ce-type': `com.vmware.vsphere.${eventClass}.v0`,
    },
    body: JSON.stringify({
      Key: key,
      ChainId: key,
      CreatedTime: new Date().toISOString(),
      UserName: user,
      Vm: { Name: vm, Vm: { Type: 'VirtualMachine', Value: vm } },
      FullFormattedMessage: `${vm}: ${eventClass}`,
    }),
  };
}

function post(url, { headers, body }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(url, { method: 'POST', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        else resolve(performance.now() - started);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const requests = (fn) => fn.metric('veba_vcenter_requests_total');

let vmSeq = 0;
const newVm = () => `vm-${100_000 + vmSeq++}`;

async function serialAddedLatency(fn, direct, tagId, eventClass, skipClass) {
  for (let i = 0; i < 20; i += 1) {
    await post(fn.url, event(eventClass, newVm()));
    await post(fn.url, event(skipClass, newVm()));
    await direct.tagging.attachToMany(tagId, [newVm()]);
  }
  const on = [];
  const skip = [];
  const attach = [];
  const before = await requests(fn);
  for (let i = 0; i < EVENTS; i += 1) {
    on.push(await post(fn.url, event(eventClass, newVm())));
    skip.push(await post(fn.url, event(skipClass, newVm())));
    const t0 = performance.now();
    await direct.tagging.attachToMany(tagId, [newVm()]);
    attach.push(performance.now() - t0);
  }
  const calls = (await requests(fn)) - before;
  return {
    medianMs: { event: median(on), skipped: median(skip), directAttach: median(attach) },
    addedMs: median(on) - median(skip) - median(attach),
    callsPerEvent: calls / EVENTS,
  };
}

async function bursts(fn, make) {
  const perBurst = [];
  for (let b = 0; b < BURSTS; b += 1) {
    const events = Array.from({ length: BURST }, (_, i) => make(i, b));
    const before = await requests(fn);
    await Promise.all(events.map((e) => post(fn.url, e)));
    perBurst.push((await requests(fn)) - before);
  }
  return {
    perBurst,
    callsPerBurst: { median: median(perBurst), max: Math.max(...perBurst) },
    callsPerEvent: median(perBurst) / BURST,
  };
}

async function steady(fn, make, count = 20) {
  const before = await requests(fn);
  for (let i = 0; i < count; i += 1) await post(fn.url, make(i));
  return ((await requests(fn)) - before) / count;
}

const vcsim = await startVcsim();
const redis = values.redis ? await startRedis() : undefined;
const started = [];
const direct = createVCenterClient({
  server: vcsim.url,
  username: vcsim.username,
  password: vcsim.password,
  ca: vcsim.caFile,
  keepAliveIntervalMs: 0,
});
try {
  const tag = await direct.tagging.ensureTag('bench', 'powered-on', { create: true });
  const env = {
    VCENTER_SERVER: vcsim.url,
    VCENTER_USERNAME: vcsim.username,
    VCENTER_PASSWORD: vcsim.password,
    VCENTER_CA_FILE: vcsim.caFile,
    VCENTER_TAG_CATEGORY: 'bench',
    VCENTER_TAG_NAME: 'powered-on',
    LOG_LEVEL: 'warn',
    ...(redis === undefined ? {} : { REDIS_URL: redis.url }),
  };
  const start = async (definition, extra = {}) => {
    const fn = await startTestFunction(definition, { env: { ...env, ...extra } });
    started.push(fn);
    return fn;
  };

  const powerOn = await start(createVmTagOnPowerOn());
  const result = { state: redis === undefined ? 'memory' : 'redis', events: EVENTS, burst: BURST };
  result.vmTagOnPowerOn = {
    serial: await serialAddedLatency(
      powerOn,
      direct,
      tag.id,
      'VmPoweredOnEvent',
      'VmPoweredOffEvent',
    ),
    burst: await bursts(powerOn, () => event('VmPoweredOnEvent', newVm())),
  };

  const attach = await start(createVmTag(), { TAG_ACTION: 'attach' });
  const detach = await start(createVmTag(), { TAG_ACTION: 'detach' });
  const detachVms = Array.from({ length: BURST * BURSTS + 20 }, () => newVm());
  await direct.tagging.attachToMany(tag.id, detachVms);
  let d = 0;
  result.vmTag = {
    attach: {
      steadyCallsPerEvent: await steady(attach, () => event('VmMigratedEvent', newVm())),
      burst: await bursts(attach, () => event('VmMigratedEvent', newVm())),
    },
    detach: {
      steadyCallsPerEvent: await steady(detach, () => event('VmPoweredOffEvent', detachVms[d++])),
      burst: await bursts(detach, () => event('VmPoweredOffEvent', detachVms[d++])),
    },
  };

  const owner = await start(createVmOwnerTag());
  await post(owner.url, event('VmCreatedEvent', newVm(), 'CORP\\alice')); // creates the tag
  result.vmOwnerTag = {
    steadyCallsPerEvent: await steady(owner, () => event('VmCreatedEvent', newVm(), 'CORP\\alice')),
    burstOneOwner: await bursts(owner, () => event('VmClonedEvent', newVm(), 'CORP\\alice')),
    // each burst brings 50 owners never seen before: their tags are created then
    burstNewOwners: await bursts(owner, (i, b) =>
      event('VmCreatedEvent', newVm(), `CORP\\user-${b}-${i}`),
    ),
  };

  const f = (n) => n.toFixed(2);
  const s = result.vmTagOnPowerOn.serial;
  console.log(`group commit against vcsim, state ${result.state}, node ${process.version}`);
  console.log(
    `vm-tag-on-power-on serial (${EVENTS}): power-on p50 ${f(s.medianMs.event)} ms, skipped event ${f(s.medianMs.skipped)} ms, direct attach ${f(s.medianMs.directAttach)} ms -> batching adds ${f(s.addedMs)} ms (target < 2); ${f(s.callsPerEvent)} vCenter calls per event`,
  );
  const line = (name, b) =>
    console.log(
      `${name}: burst of ${BURST}: ${b.callsPerBurst.median} calls (worst ${b.callsPerBurst.max} of ${BURSTS}: ${b.perBurst.join(', ')}) = ${f(b.callsPerEvent)} per event`,
    );
  line('vm-tag-on-power-on', result.vmTagOnPowerOn.burst);
  console.log(
    `vm-tag attach: steady ${f(result.vmTag.attach.steadyCallsPerEvent)} calls per event`,
  );
  line('vm-tag attach', result.vmTag.attach.burst);
  console.log(
    `vm-tag detach: steady ${f(result.vmTag.detach.steadyCallsPerEvent)} calls per event (vcsim has no batch detach: single calls)`,
  );
  line('vm-tag detach', result.vmTag.detach.burst);
  console.log(`vm-owner-tag: steady ${f(result.vmOwnerTag.steadyCallsPerEvent)} calls per event`);
  line('vm-owner-tag, one owner', result.vmOwnerTag.burstOneOwner);
  line('vm-owner-tag, 50 new owners', result.vmOwnerTag.burstNewOwners);

  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    new URL(`group-commit-${result.state}.json`, dir),
    JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2),
  );
} finally {
  await Promise.all(started.map((fn) => fn.stop()));
  await direct.close();
  agent.destroy();
  await redis?.stop();
  await vcsim.stop();
}
