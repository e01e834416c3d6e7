// Start time and idle memory of every function as shipped (bundle, image ENV, compile cache),
// against a bare node:http server in the same run. Functions are found, not listed: every folder
// under functions/ with a src/main.ts (bundled again from it). Each is started with what its config needs, decided by
// the keys its bundle reads (PEERS below): a vCenter (vcsim, from test-helpers) for VCENTER_*, a
// local webhook receiver for SLACK_WEBHOOK_URL. A function whose config needs a key no peer
// provides is reported as not started, with the runtime's config error.
//
// A function's init may talk to its peers (vm-tag-on-power-on logs into vCenter and looks up its
// tag): "init ms" is the time between the runtime's 'listening; running init' and 'ready' lines,
// and the start target applies to "ready - init", the part that is the runtime's and the
// bundle's, not vCenter's.
//
// Env: BENCH_NODE, BENCH_STARTS (10), BENCH_PIN (1), BENCH_UNBUNDLED (1: also start the tsc
// output, through bench/runtime/unbundled.mjs, for comparison), BENCH_FUNCTIONS (comma-separated names,
// default all). Needs `npm run build` first.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entryOf } from '../../scripts/bundle-function.mjs';
import { nodeBinary } from './node-binary.mjs';
import {
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

const root = fileURLToPath(new URL('../../', import.meta.url));
const unbundledScript = join(root, 'bench/runtime/unbundled.mjs');
const starts = Number(process.env.BENCH_STARTS ?? 10);
const unbundled = process.env.BENCH_UNBUNDLED !== '0';

/**
 * Peers a function's config may need, by a key its bundle reads. `start()` brings the peer up
 * once per run and returns the variables to set; `stop()` tears it down.
 */
const PEERS = [
  {
    key: 'VCENTER_SERVER',
    name: 'vcsim',
    async start(node) {
      const helpers = join(root, 'packages/test-helpers/dist/index.js');
      if (!existsSync(helpers)) throw new Error('packages/test-helpers is not built');
      const { startVcsim } = await import(helpers);
      const vcsim = await startVcsim();
      return {
        env: {
          VCENTER_SERVER: vcsim.url,
          VCENTER_USERNAME: vcsim.username,
          VCENTER_PASSWORD: vcsim.password,
          VCENTER_CA_FILE: vcsim.caFile,
          // vcsim's certificate has a 1024-bit key, which the OpenSSL of Node 24 and later refuses
          // ("EE certificate key too weak"): there, verification is off for the bench's vCenter.
          ...(Number(/^v(\d+)/.exec(node.version)[1]) >= 24
            ? { VCENTER_CERTIFICATE_ACTION: 'Ignore' }
            : {}),
        },
        note:
          Number(/^v(\d+)/.exec(node.version)[1]) >= 24
            ? "vcsim's 1024-bit certificate is refused by this Node's OpenSSL: VCENTER_CERTIFICATE_ACTION=Ignore"
            : undefined,
        stop: () => vcsim.stop(),
      };
    },
  },
  {
    key: 'VCENTER_TAG_NAME',
    name: 'a bench tag (created in init when missing)',
    async start() {
      return {
        env: {
          VCENTER_TAG_NAME: 'veba-bench',
          VCENTER_TAG_CATEGORY: 'veba-bench',
          VCENTER_TAG_CREATE_IF_MISSING: 'true',
        },
        stop: async () => {},
      };
    },
  },
  {
    key: 'SLACK_WEBHOOK_URL',
    name: 'webhook receiver',
    async start() {
      // Answers as Slack's incoming webhooks do: 200 with the body `ok`
      // (https://api.slack.com/messaging/webhooks#handling_errors).
      const server = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.end('ok'));
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      return {
        env: {
          SLACK_WEBHOOK_URL: `http://127.0.0.1:${server.address().port}/services/T0/B0/bench`,
        },
        stop: () => new Promise((resolve) => server.close(resolve)),
      };
    },
  },
];

/** Functions with a built entry, by folder name. */
function discover() {
  const only = process.env.BENCH_FUNCTIONS?.split(',').filter(Boolean);
  return readdirSync(join(root, 'functions'))
    .filter((name) => existsSync(join(root, 'functions', name, 'package.json')))
    .filter((name) => only === undefined || only.includes(name))
    .sort();
}

if (pinSelf()) await main();

async function main() {
  const loadBefore = loadAverage();
  const node = nodeBinary();
  const started = new Map();
  const peerEnv = async (bundleText) => {
    const env = {};
    for (const peer of PEERS) {
      if (!bundleText.includes(peer.key)) continue;
      if (!started.has(peer.key)) started.set(peer.key, await peer.start(node));
      Object.assign(env, started.get(peer.key).env);
    }
    return env;
  };

  const bare = {
    name: 'bare',
    node: node.path,
    args: [join(root, 'bench/runtime/bare-server.mjs')],
  };
  const subjects = [];
  const problems = [];
  for (const name of discover()) {
    try {
      entryOf(name); // a folder without src/main.ts is reported, not started
    } catch (error) {
      problems.push(`${name}: ${error.message}`);
      continue;
    }
    const shipped = await shippedFunction(name, node.path);
    const env = await peerEnv(readFileSync(shipped.args[0], 'utf8'));
    const entryName = 'tsc output';
    subjects.push({
      name,
      entryName,
      compileCache: shipped.compileCache,
      bundleBytes: shipped.bundleBytes,
      shipped: {
        name,
        node: node.path,
        args: shipped.args,
        env: { ...shipped.env, ...env },
        lines: true,
      },
      unbundled: unbundled
        ? {
            name: `${name} (${entryName})`,
            node: node.path,
            args: [unbundledScript, name],
            env,
            lines: true,
          }
        : undefined,
    });
  }

  // Interleaved starts: bare, then each function shipped (and unbundled), `starts` times.
  const samples = new Map();
  const record = (key, sample) => samples.set(key, [...(samples.get(key) ?? []), sample]);
  const failed = new Map();
  for (let i = 0; i < starts; i++) {
    for (const spec of [bare, ...subjects.flatMap((s) => [s.shipped, s.unbundled])]) {
      if (spec === undefined || failed.has(spec.name)) continue;
      let running;
      try {
        running = await launch(spec);
      } catch (error) {
        failed.set(spec.name, error.message.split('\n').slice(0, 3).join(' '));
        continue;
      }
      await sleep(500);
      const listening = running.lineAt('listening; running init');
      const ready = running.lineAt('ready');
      record(spec.name, {
        readyMs: running.readyMs,
        initMs: listening !== undefined && ready !== undefined ? ready - listening : 0,
        rss: rssMiB(running.child.pid),
      });
      await running.stop();
    }
  }
  for (const { stop } of started.values()) await stop();
  const loadAfter = loadAverage();

  const summary = (key) => {
    const list = samples.get(key);
    if (list === undefined) return undefined;
    const readyMs = median(list.map((s) => s.readyMs));
    const initMs = median(list.map((s) => s.initMs));
    const runtimeMs = median(list.map((s) => s.readyMs - s.initMs));
    return { readyMs, initMs, runtimeMs, rss: median(list.map((s) => s.rss)) };
  };
  const base = summary('bare');
  const rows = [
    [
      'function',
      'entry',
      'ready ms',
      'init ms',
      'ready - init ms',
      'x bare',
      'RSS idle MiB',
      'x bare',
    ],
  ];
  rows.push([
    'bare node:http',
    '',
    base.readyMs.toFixed(0),
    '-',
    base.readyMs.toFixed(0),
    '1.00',
    base.rss.toFixed(1),
    '1.00',
  ]);
  const results = [];
  const verdicts = [];
  for (const subject of subjects) {
    for (const spec of [subject.shipped, subject.unbundled]) {
      if (spec === undefined) continue;
      const s = summary(spec.name);
      const label = spec === subject.shipped ? 'bundle' : subject.entryName;
      if (s === undefined) {
        rows.push([spec.name, label, 'did not start', '', '', '', '', '']);
        results.push({ name: spec.name, entry: label, error: failed.get(spec.name) });
        continue;
      }
      const start = s.runtimeMs / base.readyMs;
      const rss = s.rss / base.rss;
      rows.push([
        spec.name,
        label,
        s.readyMs.toFixed(0),
        s.initMs.toFixed(0),
        s.runtimeMs.toFixed(0),
        start.toFixed(2),
        s.rss.toFixed(1),
        rss.toFixed(2),
      ]);
      results.push({ name: spec.name, entry: label, ...s, startVsBare: start, rssVsBare: rss });
      if (spec === subject.shipped) {
        verdicts.push(
          `${subject.name.padEnd(20)} start ${start.toFixed(2)}x (<= ${TARGETS.startVsBare.toFixed(1)}x: ${verdict(start <= TARGETS.startVsBare)})  idle RSS ${rss.toFixed(2)}x (<= ${TARGETS.rssVsBare.toFixed(1)}x: ${verdict(rss <= TARGETS.rssVsBare)})`,
        );
      }
    }
  }

  console.log(
    `\nFunction start and idle memory: Node ${node.version} (bench on ${process.version}); median of ${starts} starts, interleaved with bare; ${loadBefore} before, ${loadAfter} after`,
  );
  console.log(
    `shipped = bundle + image ENV + compile cache (${subjects.map((s) => `${s.name}: ${(s.bundleBytes / 1024).toFixed(0)} KiB, cache ${s.compileCache}`).join('; ')})`,
  );
  console.log(
    `peers: ${[...started.keys()].map((key) => PEERS.find((p) => p.key === key).name).join(', ') || 'none'}; ready - init: spawn to readiness minus the function's own init (its peers)`,
  );
  for (const { note } of started.values()) if (note !== undefined) console.log(`note: ${note}`);
  console.log('');
  console.log(table(rows));
  console.log('');
  for (const line of verdicts) console.log(line);
  for (const [name, error] of failed) console.log(`${name} did not start: ${error}`);
  for (const problem of problems) console.log(`not measured: ${problem}`);

  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const file = join(
    root,
    `bench/results/functions-${node.version}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
  );
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: node.version,
        load: { before: loadBefore, after: loadAfter },
        starts,
        bare: base,
        results,
        targets: TARGETS,
      },
      null,
      2,
    ),
  );
  console.log(`\nraw results: ${file}`);
}
