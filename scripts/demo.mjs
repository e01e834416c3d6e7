#!/usr/bin/env node
// The README's main job: `npm run demo`. Builds the workspace, starts echo, slack-alert and
// vm-tag-on-power-on as child processes (in-memory state, logs in a temp folder), a local webhook
// receiver standing in for Slack, and govmomi's vcsim for the tag function; then replays the VEBA
// sample events through the broker emulation `veba-fn send` uses (binary mode, retries with
// backoff), with duplicate and out-of-order deliveries (one of them fixed: for one VM the tag
// function gets a newer power-on, then an older one, which it must skip as stale), and prints what
// happened. Every number in
// the closing table is read from real responses, the functions' /metrics, the webhook receiver and
// vcsim's tag associations: nothing is computed from expectations.
//
//   npm run demo                # build, then run
//   node scripts/demo.mjs --no-build [--no-vcsim] [--seed N]
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: flags } = parseArgs({
  options: {
    'no-build': { type: 'boolean', default: false },
    seed: { type: 'string', default: '5' },
    'no-vcsim': { type: 'boolean', default: false },
  },
});
const t0 = performance.now();
const seconds = (since) => ((performance.now() - since) / 1000).toFixed(1);
const logDir = mkdtempSync(join(tmpdir(), 'veba-demo-'));
const cleanups = [];
const notes = [];

/** The tag the demo asks vm-tag-on-power-on to attach (created in vcsim by the function's init). */
const TAG = { category: 'veba-demo', name: 'powered-on' };

/** Delivery like a VEBA Trigger with a patient retry policy (Knative exponential backoff). */
const DELIVERY = {
  retries: 6,
  backoffPolicy: 'exponential',
  backoffDelayMs: 250,
  timeoutMs: 60_000,
};
/** Deliveries in flight at once, per function. */
const CONCURRENCY = 6;

async function main() {
  // The vcsim binary (Go, offline) builds alongside the workspace; it is up to date after the first run.
  const vcsimBuild = flags['no-vcsim']
    ? Promise.resolve(new Error('--no-vcsim'))
    : run('bash', [join(root, 'tools', 'vcsim', 'build.sh')], join(logDir, 'vcsim-build.log')).then(
        () => undefined,
        (error) => error,
      );
  if (!flags['no-build']) {
    const started = performance.now();
    console.log('building the workspace (npm run build) and vcsim...');
    await run(
      'npm',
      ['run', 'build', '--', '--output-logs=errors-only'],
      join(logDir, 'build.log'),
    );
    console.log(`  workspace built in ${seconds(started)} s`);
  }
  const vcsimBuildError = await vcsimBuild;

  // Imported after the build: these are the workspaces' dist folders.
  const cli = await import('@veba-functions/cli');
  const helpers = await import('@veba-functions/test-helpers');

  const slack = await startWebhookReceiver();
  cleanups.push(() => slack.close());

  let vcsim;
  let vcsimSkipped;
  if (vcsimBuildError) {
    vcsimSkipped = flags['no-vcsim']
      ? 'skipped: --no-vcsim'
      : `skipped: vcsim could not be built (${oneLine(vcsimBuildError)})`;
  } else {
    try {
      vcsim = await helpers.startVcsim({ startTimeoutMs: 20_000 });
      cleanups.push(() => vcsim.stop());
    } catch (error) {
      vcsimSkipped = `skipped: vcsim did not start (${oneLine(error)})`;
    }
  }

  const specs = [
    { name: 'echo', env: {} },
    { name: 'slack-alert', env: { SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/demo` } },
  ];
  if (vcsim) {
    specs.push({
      name: 'vm-tag-on-power-on',
      env: {
        VCENTER_SERVER: vcsim.url,
        VCENTER_USERNAME: vcsim.username,
        VCENTER_PASSWORD: vcsim.password,
        VCENTER_CA_FILE: vcsim.caFile,
        VCENTER_TAG_NAME: TAG.name,
        VCENTER_TAG_CATEGORY: TAG.category,
        VCENTER_TAG_CREATE_IF_MISSING: 'true',
      },
    });
  }
  const started = performance.now();
  // Settled, not Promise.all: a failed start is reported for every function, not just the first.
  const starts = await Promise.allSettled(specs.map((spec) => startFunctionProcess(spec)));
  const failedStarts = starts.filter((s) => s.status === 'rejected').map((s) => oneLine(s.reason));
  if (failedStarts.length > 0)
    throw new Error(
      `${failedStarts.length} function(s) failed to start:\n  ${failedStarts.join('\n  ')}`,
    );
  const functions = starts.map((s) => s.value);
  console.log(
    `started ${functions.map((f) => `${f.name} (${f.url})`).join(', ')} in ${seconds(started)} s; logs in ${logDir}`,
  );

  // The sample corpus as the broker would carry it, routed by each function's Triggers.
  const { events, undeliverable } = prepareEvents(cli, helpers.vebaFixturesDir);
  const routing = functions.map((fn) => {
    const triggers = cli.readTriggers(join(root, 'functions', fn.name));
    const types =
      triggers.length === 0 || triggers.some((t) => !t.type)
        ? undefined
        : new Set(triggers.map((t) => t.type));
    let routed = events.filter((e) => types === undefined || types.has(e.attributes.type));
    let reordered;
    if (fn.name === 'vm-tag-on-power-on') ({ routed, reordered } = pointAtVcsim(routed, vcsim));
    return { fn, routed, reordered };
  });
  const tagRouting = routing.find((r) => r.reordered);
  console.log(
    `replaying ${events.length} VEBA sample events: routed by each function's Triggers, shuffled (seed ${flags.seed}), ` +
      'every other one delivered twice at once, the first third replayed again; binary mode, retries with backoff',
  );
  if (tagRouting)
    console.log(
      `  out of order, before the shuffle: vm-tag-on-power-on gets, for vcsim VM ${tagRouting.reordered.vm}, ` +
        `the power-on with Key ${describeEvent(tagRouting.reordered.newer)} first, then the older Key ` +
        `${describeEvent(tagRouting.reordered.older)} (two broker consumers racing): the older one must be skipped as stale`,
    );
  const replayStarted = performance.now();
  const perFunction = await Promise.all(
    routing.map(async ({ fn, routed, reordered }) => {
      const { results, reorderedResults } = await replay(
        cli,
        fn,
        routed,
        Number(flags.seed),
        reordered,
      );
      return { fn, routed, results, reorderedResults, metrics: await readMetrics(fn.url) };
    }),
  );
  console.log(`replayed in ${seconds(replayStarted)} s`);
  for (const { fn, reorderedResults } of perFunction) {
    if (!reorderedResults) continue;
    const [newer, older] = reorderedResults;
    console.log(
      `  ${fn.name}, out-of-order pair answered: newer ${describeAnswer(newer)}; older ${describeAnswer(older)}`,
    );
  }

  const tagsAttached = vcsim ? await countTaggedVms(vcsim) : undefined;
  const routed = new Set(perFunction.flatMap((f) => f.routed.map((e) => e.origin)));
  const unrouted = events
    .filter((e) => !routed.has(e.origin))
    .map((e) => `${e.origin} (${e.attributes.type})`);
  if (vcsimSkipped) notes.push(`vm-tag-on-power-on ${vcsimSkipped}`);
  printReport({ perFunction, undeliverable, unrouted, slack, tagsAttached, vcsimSkipped });
}

/**
 * Every file of the VEBA sample corpus as an event, or the reason it cannot be one. Data-only Go
 * tagging bodies get the power-on type their example's Trigger selected; a sample that reuses
 * another sample's (source, id) (copy-pasted ids in VEBA's examples) gets a suffix so that every
 * sample is its own event and the duplicates counted below are only the deliberate re-deliveries.
 */
function prepareEvents(cli, fixturesDir) {
  const events = [];
  const undeliverable = [];
  const seen = new Map();
  for (const entry of cli.readFixtureIndex(fixturesDir)) {
    let event;
    try {
      if (entry.valid_json === false) {
        // Not JSON (an unquoted placeholder): delivered as the bytes the send script would POST.
        const attributes = { datacontenttype: 'application/json' };
        for (const [k, v] of Object.entries(entry.ce_headers_from_send_script ?? {}))
          attributes[k.replace(/^ce-/, '')] = v;
        event = {
          attributes,
          rawBody: readFileSync(join(fixturesDir, entry.file), 'utf8'),
          origin: entry.file,
        };
        if (!attributes.type) throw new Error('no type recorded');
      } else {
        const overrides = entry.file.startsWith('kn-go-tagging__')
          ? { type: 'com.vmware.vsphere.VmPoweredOnEvent.v0' }
          : {};
        event = cli.loadEvent(entry.file, { fixturesDir, overrides });
      }
    } catch (error) {
      const reason = /no recorded CloudEvent type/.test(oneLine(error))
        ? 'no CloudEvent type recorded anywhere: the broker cannot route it'
        : oneLine(error);
      undeliverable.push({ file: entry.file, reason });
      continue;
    }
    const identity = `${event.attributes.source}|${event.attributes.id}`;
    const count = seen.get(identity) ?? 0;
    seen.set(identity, count + 1);
    if (count > 0 && event.attributes.id) event.attributes.id = `${event.attributes.id}~${count}`;
    events.push(event);
  }
  return { events, undeliverable };
}

/**
 * Power-on samples name VMs of their authors' vCenters; the demo points them at the simulated
 * one: `source` becomes vcsim's /sdk URL and their `Vm` morefs become vcsim's VMs. The first two
 * samples with a VM and distinct integer Keys both go to vcsim's first VM: they are the fixed
 * out-of-order pair (`reordered`, newer and older by Key), which no other sample touches, so the
 * shuffle cannot decide the outcome. The other samples' morefs map round robin to the remaining
 * VMs (some get several events: the shuffle may reorder those too).
 */
function pointAtVcsim(events, vcsim) {
  const copies = events.map((event) => {
    const copy = structuredClone(event);
    copy.attributes.source = `${vcsim.url}/sdk`;
    return copy;
  });
  const vmOf = (event) => {
    const vm = event.data?.Vm?.Vm;
    return vm && typeof vm.Value === 'string' && vm.Type === 'VirtualMachine' ? vm : undefined;
  };
  const pair = [];
  for (const event of copies) {
    const key = event.data?.Key;
    if (pair.length < 2 && vmOf(event) && Number.isSafeInteger(key) && pair[0]?.data.Key !== key)
      pair.push(event);
  }
  const pairVm = vcsim.vms[0];
  const others = vcsim.vms.length > 1 ? vcsim.vms.slice(1) : vcsim.vms;
  const vmMap = new Map();
  for (const event of copies) {
    const vm = vmOf(event);
    if (!vm) continue;
    if (pair.length === 2 && pair.includes(event)) {
      vm.Value = pairVm;
      continue;
    }
    if (!vmMap.has(vm.Value)) vmMap.set(vm.Value, others[vmMap.size % others.length]);
    vm.Value = vmMap.get(vm.Value);
  }
  if (pair.length < 2) {
    notes.push(
      'vm-tag-on-power-on: no two power-on samples with distinct Keys: no fixed out-of-order pair',
    );
    return { routed: copies, reordered: undefined };
  }
  const [older, newer] = pair[0].data.Key < pair[1].data.Key ? pair : [pair[1], pair[0]];
  return { routed: copies, reordered: { vm: pairVm, older, newer } };
}

/**
 * The broker emulation's schedule for one function. First the fixed out-of-order pair, if any:
 * the newer event delivered and answered, then the older one (with several broker consumers the
 * older event can lose the race by any margin). Then the other routed events in a seeded shuffle
 * (out of order); every other event delivered twice at once (a redelivery racing the first:
 * in-progress 409, retried); then the first third again, as VEBA replays recent events after a
 * restart.
 */
async function replay(cli, fn, events, seed, reordered) {
  const reorderedResults = [];
  if (reordered) {
    reorderedResults.push(await cli.deliverEvent(fn.url, reordered.newer, DELIVERY));
    reorderedResults.push(await cli.deliverEvent(fn.url, reordered.older, DELIVERY));
  }
  const rest = reordered
    ? events.filter((e) => e !== reordered.newer && e !== reordered.older)
    : events;
  const order = shuffle(rest, seed);
  const schedule = order.flatMap((event, i) => (i % 2 === 0 ? [event, event] : [event]));
  const results = await pool(schedule, CONCURRENCY, (event) =>
    cli.deliverEvent(fn.url, event, DELIVERY),
  );
  const replayed = await pool(order.slice(0, Math.ceil(order.length / 3)), CONCURRENCY, (event) =>
    cli.deliverEvent(fn.url, event, DELIVERY),
  );
  return {
    results: [...reorderedResults, ...results, ...replayed],
    reorderedResults: reordered ? reorderedResults : undefined,
  };
}

function describeEvent(event) {
  return `${event.data.Key} (${event.origin})`;
}

/** One delivery's final answer as the function sent it: status and the body's first 100 chars. */
function describeAnswer(result) {
  if (result.status === undefined) return 'no answer (network error)';
  const text = result.body.replace(/\s+/g, ' ').trim();
  const body = text.length > 100 ? `${text.slice(0, 100)}...` : text;
  return `${result.status}${body ? ` ${body}` : ''}`;
}

async function pool(items, concurrency, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]);
      }
    }),
  );
  return results;
}

/** Deterministic Fisher-Yates shuffle (mulberry32), so a run can be repeated with --seed. */
function shuffle(items, seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** Sums `veba_function_events_total` by outcome from the function's /metrics. */
async function readMetrics(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const outcomes = {};
  for (const match of text.matchAll(/^veba_function_events_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
    const outcome = /outcome="([^"]+)"/.exec(match[1])?.[1] ?? 'unknown';
    outcomes[outcome] = (outcomes[outcome] ?? 0) + Number(match[2]);
  }
  return outcomes;
}

/** VMs of vcsim that carry the demo tag, asked of vcsim through the project's vCenter client. */
async function countTaggedVms(vcsim) {
  const { createVCenterClient } = await import('@veba-functions/vcenter');
  const client = createVCenterClient({
    server: vcsim.url,
    username: vcsim.username,
    password: vcsim.password,
    ca: vcsim.caFile,
  });
  try {
    await client.connect();
    const tag = await client.tagging.findTag(TAG.category, TAG.name);
    if (!tag) return { count: 0, of: vcsim.vms.length };
    let count = 0;
    for (const vm of vcsim.vms) {
      if ((await client.tagging.listAttachedTags(vm)).includes(tag.id)) count++;
    }
    return { count, of: vcsim.vms.length };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** A stand-in for Slack's incoming webhooks: records each message, answers 200 `ok` as Slack does. */
async function startWebhookReceiver() {
  const messages = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        messages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    messages,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Starts `node functions/<name>/dist/index.js` on a free port (PORT=0; the port comes from the
 * runtime's "listening" log line), logs to <logDir>/<name>.log, REDIS_URL unset (in-memory state),
 * and waits for /health/readiness.
 */
async function startFunctionProcess({ name, env }) {
  const childEnv = { ...process.env, ...env, PORT: '0', LOG_LEVEL: 'info' };
  delete childEnv.REDIS_URL;
  const script = join(root, 'functions', name, 'dist', 'index.js');
  // Node's own "Cannot find module" stack would hide the point: the function is not built.
  if (!existsSync(script))
    throw new Error(
      `${name}: ${script} does not exist (not built: npm run build -w @veba-functions/${name})`,
    );
  const child = spawn(process.execPath, [script], {
    cwd: join(root, 'functions', name),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => stopChild(child));
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile);
  // The last lines of both streams, for the error when the function does not start.
  const lines = [];
  const keep = (line) => {
    log.write(`${line}\n`);
    lines.push(line);
    if (lines.length > 20) lines.shift();
  };
  createInterface({ input: child.stderr }).on('line', keep);
  const exited = new Promise((resolve) => {
    child.once('error', (error) => resolve(`an error (${oneLine(error)})`));
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`));
  });
  const tail = () => lines.slice(-3).map(logMessage).join(' | ') || 'no output';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`${name} did not log "listening" within 20 s: ${tail()} (log: ${logFile})`),
        ),
      20_000,
    );
    createInterface({ input: child.stdout }).on('line', (line) => {
      keep(line);
      try {
        const entry = JSON.parse(line);
        if (typeof entry.port === 'number' && entry.port > 0) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${how} before listening: ${tail()} (log: ${logFile})`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await fetch(`${url}/health/readiness`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    const how = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r(undefined), 100)),
    ]);
    if (how !== undefined)
      throw new Error(`${name} exited with ${how} during init: ${tail()} (log: ${logFile})`);
    if (Date.now() > deadline) throw new Error(`${name} not ready within 30 s (see ${logFile})`);
  }
  return { name, url, child, logFile };
}

/** A pino JSON line as `msg (err.message)`, any other line as it is. */
function logMessage(line) {
  try {
    const entry = JSON.parse(line);
    const detail = entry.err?.message ?? entry.error?.message;
    if (typeof entry.msg === 'string') return detail ? `${entry.msg} (${detail})` : entry.msg;
  } catch {
    // not JSON
  }
  return line.trim();
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function printReport({ perFunction, undeliverable, unrouted, slack, tagsAttached, vcsimSkipped }) {
  const sum = (pick) => perFunction.reduce((n, f) => n + pick(f), 0);
  const finals = (f, test) => f.results.filter((r) => test(r.status)).length;

  console.log('');
  const header = [
    'function',
    'events',
    'deliveries',
    'attempts',
    '2xx',
    '400',
    'other',
    'processed',
    'duplicate',
    'stale',
    'invalid',
    'ignored',
  ];
  const rows = perFunction.map((f) => [
    f.fn.name,
    f.routed.length,
    f.results.length,
    f.results.reduce((n, r) => n + r.attempts.length, 0),
    finals(f, (s) => s >= 200 && s < 300),
    finals(f, (s) => s === 400),
    finals(f, (s) => s === undefined || s < 200 || (s >= 300 && s !== 400)),
    f.metrics.processed ?? 0,
    f.metrics.duplicate ?? 0,
    f.metrics.stale ?? 0,
    f.metrics.invalid ?? 0,
    f.metrics.ignored ?? 0,
  ]);
  printTable(header, rows);

  console.log('');
  const summary = [
    [
      'delivered',
      sum((f) => f.results.length),
      `HTTP deliveries (${sum((f) => f.results.reduce((n, r) => n + r.attempts.length, 0))} attempts with retries)`,
    ],
    [
      'processed',
      sum((f) => f.metrics.processed ?? 0),
      'veba_function_events_total{outcome="processed"}',
    ],
    ['duplicates suppressed', sum((f) => f.metrics.duplicate ?? 0), 'outcome="duplicate"'],
    [
      'stale skipped',
      sum((f) => f.metrics.stale ?? 0),
      'outcome="stale" (older Key for the same VM)',
    ],
    ['invalid rejected', sum((f) => f.metrics.invalid ?? 0), 'outcome="invalid" (400)'],
    ['Slack messages received', slack.messages.length, 'by the local webhook receiver'],
    [
      'tags attached',
      tagsAttached === undefined ? 'skipped' : tagsAttached.count,
      tagsAttached === undefined
        ? `vm-tag-on-power-on ${vcsimSkipped}`
        : `vcsim VMs carrying ${TAG.category}/${TAG.name} (of ${tagsAttached.of})`,
    ],
  ];
  printTable(['result', 'count', 'source'], summary);

  if (unrouted.length > 0) {
    console.log('');
    console.log(
      `${unrouted.length} sample events match no function's Triggers (the broker delivers them nowhere):`,
    );
    for (const line of unrouted) console.log(`  ${line}`);
  }
  if (undeliverable.length > 0) {
    console.log('');
    console.log(`${undeliverable.length} sample files are not events (not replayed):`);
    for (const u of undeliverable) console.log(`  ${u.file}: ${u.reason}`);
  }
  const failed = perFunction.flatMap((f) =>
    f.results.filter((r) => r.status === undefined || r.status >= 500).map(() => f.fn.name),
  );
  if (failed.length > 0)
    notes.push(
      `${failed.length} deliveries ended without a 2xx/4xx answer after retries (${[...new Set(failed)].join(', ')})`,
    );
  for (const note of notes) console.log(note);
  console.log(`done in ${seconds(t0)} s; function logs in ${logDir}`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

function printTable(header, rows) {
  const widths = header.map((h, i) =>
    Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)),
  );
  const line = (cells) =>
    cells
      .map((c, i) =>
        typeof c === 'number' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]),
      )
      .join('  ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function run(command, args, logFile) {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile);
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}); see ${logFile}`)),
    );
  });
}

function oneLine(error) {
  return (error instanceof Error ? error.message : String(error))
    .replace(/\s*\n\s*/g, ' ')
    .slice(0, 300);
}

async function cleanup() {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}

process.once('SIGINT', () => {
  void cleanup().then(() => process.exit(130));
});

try {
  await main();
} catch (error) {
  // Not oneLine: a failed start lists one function per line.
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
