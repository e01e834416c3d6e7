// Runtime benchmark: the echo function as its image runs it against a bare node:http server and
// Knative's faas-js-runtime, each in its own child process, same run.
//   bare             node:http reading the body, 204 (the floor)
//   faas-js-runtime  Knative's Node runtime 3.0.2 with an echo-equivalent handler
//   echo             functions/echo as shipped: the bundle, the image's ENV, its compile cache
//   echo-unbundled   (start and memory only) echo from its tsc output (bench/runtime/unbundled.mjs)
// Load: autocannon on loopback, binary-mode VEBA event (DrsVmPoweredOnEvent), 50 connections.
// Env: BENCH_NODE (Node for the servers: a path or a version such as 22, fetched on first use),
// BENCH_DURATION (s per contender per round, default 1), BENCH_ROUNDS (16), BENCH_CONNECTIONS
// (50), BENCH_STARTS (10), BENCH_WARMUP (s, 1), BENCH_SETTLE (s of idle before the settled RSS,
// 12; 0 skips it), BENCH_PIN (1). Rounds rotate the contenders' order and the ratios are the
// median of per-round ratios, so a noisy neighbour on a shared machine skews them less.
// Needs `npm run build` first (echo is bundled from its dist).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { nodeBinary } from './node-binary.mjs';
import {
  canPin,
  cpuMs,
  launch,
  loadAverage,
  median,
  pinSelf,
  rssMiB,
  sleep,
  table,
  TARGETS,
  verdict,
} from './processes.mjs';
import { shippedFunction } from './shipped.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const root = here('../../');
const duration = Number(process.env.BENCH_DURATION ?? 1);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const starts = Number(process.env.BENCH_STARTS ?? 10);
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const rounds = Number(process.env.BENCH_ROUNDS ?? 16);
const settle = Number(process.env.BENCH_SETTLE ?? 12);

if (pinSelf()) await main();

async function main() {
  const loadBefore = loadAverage();
  const node = nodeBinary();
  const echo = await shippedFunction('echo', node.path);

  const fixture = JSON.parse(readFileSync(here('./fixtures/drs-vm-powered-on.json'), 'utf8'));
  const body = JSON.stringify(fixture.data);
  const headers = {
    'ce-specversion': '1.0',
    'ce-id': fixture.id,
    'ce-source': fixture.source,
    'ce-type': fixture.type,
    'ce-time': fixture.time,
    'content-type': 'application/json',
  };

  const contenders = [
    { name: 'bare', node: node.path, args: [here('./bare-server.mjs')] },
    { name: 'faas-js-runtime', node: node.path, args: [here('./faas-server.mjs')] },
    { name: 'echo', node: node.path, args: echo.args, env: echo.env },
  ];
  const references = [
    {
      name: 'echo-unbundled',
      node: node.path,
      args: [here('./unbundled.mjs'), 'echo'],
    },
  ];

  const load = (port, seconds) =>
    autocannon({
      url: `http://127.0.0.1:${port}/`,
      method: 'POST',
      headers,
      body,
      connections,
      duration: seconds,
    });

  /** Loads a server; also its CPU time per request, which neighbours skew far less than req/s. */
  async function measure(server, seconds) {
    const before = cpuMs(server.child.pid);
    const result = await load(server.port, seconds);
    const cpuMicros =
      ((cpuMs(server.child.pid) - before) * 1000) / Math.max(1, result.requests.total);
    return { result, cpuMicros };
  }

  // Start: median of `starts` starts each, interleaved so a busy spell hits every contender; idle
  // RSS 500 ms after readiness (before V8's memory reducer, which runs after some seconds idle).
  const startup = new Map([...contenders, ...references].map((c) => [c.name, []]));
  for (let i = 0; i < starts; i++) {
    for (const contender of [...contenders, ...references]) {
      const running = await launch(contender);
      await sleep(500);
      startup
        .get(contender.name)
        .push({ readyMs: running.readyMs, rss: rssMiB(running.child.pid) });
      await running.stop();
    }
  }
  const startOf = (name) => median(startup.get(name).map((s) => s.readyMs));
  const rssOf = (name) => median(startup.get(name).map((s) => s.rss));

  // Settled RSS: every contender side by side, idle for `settle` seconds.
  const settled = new Map();
  if (settle > 0) {
    const idle = await Promise.all([...contenders, ...references].map((c) => launch(c)));
    await sleep(settle * 1000);
    for (const server of idle) settled.set(server.name, rssMiB(server.child.pid));
    await Promise.all(idle.map((server) => server.stop()));
  }

  // Throughput: all three side by side (each idle while another is loaded), short alternating
  // rounds, so a neighbour's burst skews one round, not a contender.
  const servers = new Map();
  for (const contender of contenders) servers.set(contender.name, await launch(contender));
  if (warmup > 0) for (const { name } of contenders) await load(servers.get(name).port, warmup);
  const runs = new Map(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    for (const contender of order) {
      const { result, cpuMicros } = await measure(servers.get(contender.name), duration);
      runs.get(contender.name).push({ result, cpuMicros });
      console.error(
        `round ${round + 1}/${rounds} ${contender.name}: ${result.requests.average.toFixed(0)} req/s, ${cpuMicros.toFixed(0)} µs CPU/request`,
      );
    }
  }
  const rssLoaded = new Map(
    contenders.map(({ name }) => [name, rssMiB(servers.get(name).child.pid)]),
  );
  for (const server of servers.values()) await server.stop();
  const loadAfter = loadAverage();

  const results = [...contenders, ...references].map(({ name }) => {
    const list = runs.get(name);
    const pick = (f) => (list === undefined ? undefined : median(list.map(f)));
    return {
      name,
      requestsPerSecond: pick((r) => r.result.requests.average),
      perRound: list?.map((r) => r.result.requests.average),
      cpuMicrosPerRequest: pick((r) => r.cpuMicros),
      perRoundCpu: list?.map((r) => r.cpuMicros),
      latencyP50: pick((r) => r.result.latency.p50),
      latencyP99: pick((r) => r.result.latency.p99),
      non2xx: list?.reduce((n, r) => n + r.result.non2xx, 0),
      errors: list?.reduce((n, r) => n + r.result.errors + r.result.timeouts, 0),
      readyMedianMs: startOf(name),
      rssIdleMiB: rssOf(name),
      rssSettledMiB: settled.get(name),
      rssLoadedMiB: rssLoaded.get(name),
    };
  });

  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  const fmt = (n, digits = 0) => (n === undefined ? '-' : n.toFixed(digits));
  console.log(
    `\nRuntime benchmark: Node ${node.version} (bench on ${process.version}), ${connections} connections, ${rounds} rounds x ${duration}s per contender (after a ${warmup}s warm-up), binary-mode ${fixture.type}`,
  );
  console.log(
    `echo as shipped: ${(echo.bundleBytes / 1024).toFixed(0)} KiB bundle, image ENV, compile cache ${echo.compileCache}`,
  );
  console.log(
    `CPU pinning: ${canPin ? 'autocannon on CPU 0, servers on CPU 1' : 'off'}; ${loadBefore} before, ${loadAfter} after`,
  );
  console.log(
    `req/s, CPU and latency: median over rounds; ready: median of ${starts} starts (spawn to first readiness 200); RSS idle: 500 ms after ready (median); settled: after ${settle} s idle; loaded: after all rounds\n`,
  );
  console.log(
    table([
      [
        'contender',
        'req/s',
        'CPU µs/req',
        'p50 ms',
        'p99 ms',
        'non-2xx',
        'errors',
        'ready ms',
        'RSS idle MiB',
        'RSS settled MiB',
        'RSS loaded MiB',
      ],
      ...results.map((r) => [
        r.name,
        fmt(r.requestsPerSecond),
        fmt(r.cpuMicrosPerRequest, 1),
        fmt(r.latencyP50, 1),
        fmt(r.latencyP99, 1),
        r.non2xx ?? '-',
        r.errors ?? '-',
        fmt(r.readyMedianMs),
        fmt(r.rssIdleMiB, 1),
        fmt(r.rssSettledMiB, 1),
        fmt(r.rssLoadedMiB, 1),
      ]),
    ]),
  );

  const ratio = (a, b) =>
    median(byName[a].perRound.map((value, i) => value / byName[b].perRound[i]));
  // Throughput a contender would reach if CPU were the only limit: the same comparison with the
  // neighbours' noise (and autocannon's share of the CPU) taken out.
  const cpuRatio = (a, b) =>
    median(byName[a].perRoundCpu.map((value, i) => byName[b].perRoundCpu[i] / value));
  const ratios = {
    echoVsBare: ratio('echo', 'bare'),
    echoVsFaas: ratio('echo', 'faas-js-runtime'),
    faasVsBare: ratio('faas-js-runtime', 'bare'),
    echoVsBareCpu: cpuRatio('echo', 'bare'),
    echoVsFaasCpu: cpuRatio('echo', 'faas-js-runtime'),
    startVsBare: startOf('echo') / startOf('bare'),
    startUnbundledVsBare: startOf('echo-unbundled') / startOf('bare'),
    rssVsBare: rssOf('echo') / rssOf('bare'),
    rssUnbundledVsBare: rssOf('echo-unbundled') / rssOf('bare'),
    rssSettledVsBare: settle > 0 ? settled.get('echo') / settled.get('bare') : undefined,
  };
  console.log(
    `\nper round req/s: ${results
      .filter((r) => r.perRound)
      .map((r) => `${r.name} ${r.perRound.map((v) => v.toFixed(0)).join('/')}`)
      .join(', ')}`,
  );
  const x = (n) => `${n.toFixed(2)}x`;
  console.log(
    `start to ready   echo / bare = ${x(ratios.startVsBare)}  (target <= ${x(TARGETS.startVsBare)}: ${verdict(ratios.startVsBare <= TARGETS.startVsBare)}); unbundled ${x(ratios.startUnbundledVsBare)}`,
  );
  console.log(
    `idle RSS         echo / bare = ${x(ratios.rssVsBare)}  (target <= ${x(TARGETS.rssVsBare)}: ${verdict(ratios.rssVsBare <= TARGETS.rssVsBare)}); unbundled ${x(ratios.rssUnbundledVsBare)}${settle > 0 ? `; settled ${x(ratios.rssSettledVsBare)}` : ''}`,
  );
  console.log(
    `throughput       echo / bare = ${ratios.echoVsBare.toFixed(2)}   (target >= ${TARGETS.throughputVsBare.toFixed(2)}: ${verdict(ratios.echoVsBare >= TARGETS.throughputVsBare)}); from CPU per request ${ratios.echoVsBareCpu.toFixed(2)}`,
  );
  console.log(
    `throughput       echo / faas-js-runtime = ${x(ratios.echoVsFaas)}  (target >= ${x(TARGETS.vsFaas)}: ${verdict(ratios.echoVsFaas >= TARGETS.vsFaas)}); from CPU per request ${x(ratios.echoVsFaasCpu)}`,
  );
  console.log(`throughput       faas-js-runtime / bare = ${ratios.faasVsBare.toFixed(2)}`);
  const failures = results.filter((r) => r.non2xx > 0 || r.errors > 0);
  if (failures.length > 0)
    console.log(
      `\nWARNING: non-2xx answers or errors from ${failures.map((r) => r.name).join(', ')}`,
    );

  mkdirSync(`${root}bench/results`, { recursive: true });
  const file = `${root}bench/results/runtime-${node.version}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: node.version,
        bench: process.version,
        load: { before: loadBefore, after: loadAfter },
        compileCache: echo.compileCache,
        bundleBytes: echo.bundleBytes,
        connections,
        duration,
        rounds,
        starts,
        settle,
        results,
        ratios,
        targets: TARGETS,
      },
      null,
      2,
    ),
  );
  console.log(`\nraw results: ${file}`);
}
