import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRequest } from '@veba-functions/test-helpers';
import type { DeliveryResult } from '../delivery.js';
import type { OutgoingEvent } from '../events.js';
import { readTriggers } from '../values.js';
import { dispatchPlan, routes } from './broker.js';
import { buildDemo } from './build.js';
import { DEMO_FUNCTIONS, DEMO_SCENARIO } from './catalog.js';
import { corpusEvents, type CorpusEvents } from './corpus.js';
import type { DemoFunction, DemoPeers } from './demo-function.js';
import { DemoError, FunctionStartError } from './errors.js';
import { startFunctionProcess, type FunctionProcess } from './function-process.js';
import { startBrokerIngress } from './ingress.js';
import { findOutOfOrderPair, planDeliveries, vmAndKey, type DeliveryPlan } from './plan.js';
import type { Receiver, ReceiverSpec } from './receivers.js';
import {
  commonSummaryRows,
  describeAnswer,
  formatTable,
  functionTable,
  isFailedDelivery,
  outcomesFromMetrics,
  summaryTable,
  type FunctionReport,
  type SummaryRow,
} from './report.js';
import { startVcsimPeer, type ScenarioStep, type VcsimPeer } from './vcsim-peer.js';

export interface DemoOptions {
  /** The repository root. */
  root: string;
  /** Seed of the delivery order. Default 5. */
  seed?: number;
  /** Build the functions (turbo) and vcsim first. */
  build?: boolean;
  /** Every fourth corpus sample and the scenario's `quick` steps only. */
  quick?: boolean;
  /** False: no vcsim (entries that need it are skipped). Default true. */
  vcsim?: boolean;
  /** Default DEMO_FUNCTIONS. */
  functions?: readonly DemoFunction[];
  /** Default DEMO_SCENARIO. */
  scenario?: readonly ScenarioStep[];
  /** Writes one line of the demo's narrative. */
  out(line: string): void;
  /** Aborts the deliveries (Ctrl-C); the peers are stopped either way. */
  signal?: AbortSignal;
  /** Called with the running peers and the result, before the peers stop (tests look at vcsim). */
  inspect?(peers: DemoPeers, result: DemoResult): Promise<void>;
}

/** One function's out-of-order pair and the answers it got. */
export interface PairOutcome {
  readonly functionName: string;
  readonly vm: string;
  readonly newer: DeliveryResult;
  readonly older: DeliveryResult;
}

/** What a run did: every number of its report. */
export interface DemoResult {
  /** 0, or 1 when a delivery ended without a 2xx or 4xx answer after its retries. */
  readonly exitCode: number;
  readonly functions: readonly FunctionReport[];
  readonly summary: readonly SummaryRow[];
  readonly pairs: readonly PairOutcome[];
  /** Events the source emulator handed to the broker ingress. */
  readonly vcsimEvents: number;
  readonly logDir: string;
}

/** The quick run delivers every n-th corpus sample (Slack's pace, 1 message/s, sets its length). */
const QUICK_CORPUS_EVERY = 4;

const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error))
    .replace(/\s*\n\s*/g, ' ')
    .slice(0, 300);
}

/** `com.vmware.vsphere.VmPoweredOnEvent.v0` -> `VmPoweredOnEvent`. */
function shortType(type: string | undefined): string {
  return /^com\.vmware\.vsphere\.(.+)\.v0$/.exec(type ?? '')?.[1] ?? type ?? '(no type)';
}

function describeEvent(event: OutgoingEvent): string {
  return `Key ${vmAndKey(event)?.key ?? '?'} (${event.origin})`;
}

/** A function started, what the broker routes to it, and its plan. */
interface Running {
  readonly entry: DemoFunction;
  readonly process: FunctionProcess;
  readonly routed: readonly OutgoingEvent[];
  readonly plan: DeliveryPlan<OutgoingEvent>;
}

/**
 * Runs the demo: starts the broker ingress, vcsim with its source emulator pointed at it, the
 * receivers and the functions (child processes); drives the scenario on vcsim; routes the corpus
 * and vcsim's events by each function's Triggers and delivers them with duplicates, reordering
 * and retries; then reads every number of the report from the functions' answers and
 * `/metrics`, the receivers and vcsim. Rejects with DemoError when functions fail to start.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const out = (line: string): void => options.out(line);
  const seed = options.seed ?? 5;
  const entries = options.functions ?? DEMO_FUNCTIONS;
  const scenario = (options.scenario ?? DEMO_SCENARIO).filter((s) => !options.quick || s.quick);
  const logDir = mkdtempSync(join(tmpdir(), 'veba-demo-'));
  const cleanups: (() => Promise<void>)[] = [];
  const notes: string[] = [];

  try {
    const wantsVcsim =
      options.vcsim !== false && entries.some((e) => e.vcsim === true || e.events.vcsim);
    let vcsimSkipped: string | undefined = options.vcsim === false ? '--no-vcsim' : undefined;
    if (options.build) {
      const builtAt = performance.now();
      out(
        `building ${entries.map((e) => e.name).join(', ')}${wantsVcsim ? ' and vcsim' : ''} (logs in ${logDir})...`,
      );
      const { vcsimError } = await buildDemo({
        root: options.root,
        functions: entries,
        vcsim: wantsVcsim,
        logDir,
      });
      if (vcsimError) vcsimSkipped = `vcsim could not be built (${oneLine(vcsimError)})`;
      out(`  built in ${seconds(builtAt)} s`);
    }

    const ingress = await startBrokerIngress({
      origin: (event) => `vcsim ${shortType(event.attributes.type)}`,
    });
    cleanups.push(() => ingress.stop());

    let vcsim: VcsimPeer | undefined;
    if (wantsVcsim && vcsimSkipped === undefined) {
      try {
        vcsim = await startVcsimPeer({ sinks: [ingress.url] });
        const started = vcsim;
        cleanups.push(() => started.stop());
      } catch (error) {
        vcsimSkipped = `vcsim did not start (${oneLine(error)})`;
      }
    }
    const active = entries.filter((e) => e.vcsim !== true || vcsim !== undefined);
    const skipped = entries.filter((e) => !active.includes(e));

    const receivers = new Map<string, Receiver>();
    for (const spec of active.flatMap((e) => e.receivers ?? [])) {
      if (receivers.has(spec.id)) continue;
      const receiver = await spec.start();
      receivers.set(spec.id, receiver);
      cleanups.push(() => receiver.stop());
    }
    const peers: DemoPeers = {
      receiver<R extends Receiver>(spec: ReceiverSpec<R>): R {
        const receiver = receivers.get(spec.id);
        if (receiver === undefined) throw new Error(`receiver ${spec.id} was not started`);
        return receiver as R;
      },
      vcsim,
    };

    // The functions start while vcsim runs the scenario: its events wait at the broker ingress.
    const startedAt = performance.now();
    const [starts, scenarioRun] = await Promise.all([
      Promise.allSettled(
        active.map((entry) =>
          startFunctionProcess({
            root: options.root,
            name: entry.name,
            env: entry.env(peers),
            logDir,
          }),
        ),
      ),
      (vcsim?.runScenario(scenario) ?? Promise.resolve()).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      ),
    ]);
    const processes = starts.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    cleanups.push(() => Promise.all(processes.map((p) => p.stop())).then(() => undefined));
    const failures = starts.flatMap((s) =>
      s.status === 'rejected'
        ? [
            s.reason instanceof FunctionStartError
              ? s.reason
              : new FunctionStartError(oneLine(s.reason), { functionName: '?', logFile: logDir }),
          ]
        : [],
    );
    if (failures.length > 0) {
      throw new DemoError(`${failures.length} function(s) failed to start`, { failures });
    }
    if (scenarioRun !== undefined) throw scenarioRun;
    out(
      `started ${processes.map((p) => `${p.name} (${p.url})`).join(', ')} in ${seconds(startedAt)} s; logs in ${logDir}`,
    );
    if (vcsim) {
      const users = new Set(vcsim.actions.map((a) => a.user));
      out(
        `vcsim ${vcsim.server.url}: ${vcsim.actions.length} actions (${scenario.map((s) => `${s.action} ${s.vm}`).join(', ')}) ` +
          `as ${[...users].join(', ')}; its source emulator posted ${ingress.events.length} events to the broker ingress`,
      );
    }
    if (vcsimSkipped) notes.push(`vcsim skipped: ${vcsimSkipped}`);

    const corpus: CorpusEvents = active.some((e) => e.events.corpus)
      ? corpusEvents({ every: options.quick ? QUICK_CORPUS_EVERY : 1 })
      : { events: [], undeliverable: [] };
    const vcsimEvents = [...ingress.events];

    const running: Running[] = processes.map((process) => {
      const entry = active.find((e) => e.name === process.name)!;
      const triggers = readTriggers(join(options.root, 'functions', entry.name));
      const candidates = [
        ...(entry.events.corpus ? corpus.events : []),
        ...(entry.events.vcsim ? vcsimEvents : []),
      ];
      const routed = candidates.filter((event) => routes(event, triggers));
      const pair = entry.outOfOrderPair ? findOutOfOrderPair(routed) : undefined;
      if (entry.outOfOrderPair && pair === undefined)
        notes.push(`${entry.name}: no VM with two events of distinct Keys: no out-of-order pair`);
      return { entry, process, routed, plan: planDeliveries(routed, { seed, pair }) };
    });

    out(
      `delivering ${corpus.events.length} VEBA sample events and ${vcsimEvents.length} vcsim events, routed by each ` +
        `function's Triggers: shuffled (seed ${seed}), every other one delivered twice at once, the first third ` +
        `replayed again; binary mode, retries with backoff`,
    );
    for (const { entry, plan } of running) {
      if (plan.pair === undefined) continue;
      out(
        `  out of order, before the shuffle: ${entry.name} gets, for VM ${plan.pair.vm}, the power-on ` +
          `${describeEvent(plan.pair.newer)} first, then the older ${describeEvent(plan.pair.older)} ` +
          '(two broker consumers racing): the older one must be skipped as stale',
      );
    }
    const deliveredAt = performance.now();
    const dispatched = await Promise.all(
      running.map(async (r) => {
        const result = await dispatchPlan(r.process.url, r.plan, { signal: options.signal });
        const metrics = await httpRequest(r.process.url, { method: 'GET', path: '/metrics' });
        const report: FunctionReport = {
          name: r.entry.name,
          events: r.routed.length,
          results: result.results,
          outcomes: outcomesFromMetrics(metrics.body),
        };
        return { running: r, result, report };
      }),
    );
    out(`delivered in ${seconds(deliveredAt)} s`);
    const pairs: PairOutcome[] = dispatched.flatMap(({ running: r, result }) =>
      result.pairResults && r.plan.pair
        ? [
            {
              functionName: r.entry.name,
              vm: r.plan.pair.vm,
              newer: result.pairResults[0],
              older: result.pairResults[1],
            },
          ]
        : [],
    );
    for (const pair of pairs) {
      out(
        `  ${pair.functionName}, out-of-order pair answered: newer ${describeAnswer(pair.newer)}; older ${describeAnswer(pair.older)}`,
      );
    }

    const reports = dispatched.map((d) => d.report);
    const summary: SummaryRow[] = [...commonSummaryRows(reports)];
    for (const receiver of receivers.values()) {
      summary.push({
        result: receiver.label,
        count: receiver.accepted,
        source: receiver.description,
      });
    }
    for (const entry of active) {
      for (const row of entry.rows ?? [])
        summary.push({ result: row.result, ...(await row.read(peers)) });
    }
    for (const entry of skipped) {
      for (const row of entry.rows ?? [])
        summary.push({
          result: row.result,
          count: 'skipped',
          source: `${entry.name} skipped: ${vcsimSkipped ?? 'vcsim not running'}`,
        });
    }

    out('');
    const table = functionTable(reports);
    for (const line of formatTable(table.header, table.rows)) out(line);
    out('');
    const totals = summaryTable(summary);
    for (const line of formatTable(totals.header, totals.rows)) out(line);

    const routedSet = new Set(running.flatMap((r) => r.routed));
    const unroutedCorpus = corpus.events.filter((e) => !routedSet.has(e));
    if (unroutedCorpus.length > 0) {
      out('');
      out(
        `${unroutedCorpus.length} sample events match no function's Triggers (the broker delivers them nowhere):`,
      );
      for (const e of unroutedCorpus) out(`  ${e.origin} (${e.attributes.type ?? 'no type'})`);
    }
    const unroutedVcsim = new Map<string, number>();
    for (const e of vcsimEvents.filter((e) => !routedSet.has(e))) {
      const type = shortType(e.attributes.type);
      unroutedVcsim.set(type, (unroutedVcsim.get(type) ?? 0) + 1);
    }
    if (unroutedVcsim.size > 0) {
      out('');
      out(
        `vcsim events no function's Triggers select: ${[...unroutedVcsim].map(([t, n]) => `${t} x${n}`).join(', ')}`,
      );
    }
    if (corpus.undeliverable.length > 0) {
      out('');
      out(`${corpus.undeliverable.length} sample files are not events (not delivered):`);
      for (const u of corpus.undeliverable) out(`  ${u.file}: ${u.reason}`);
    }
    const failed = reports.flatMap((r) => r.results.filter(isFailedDelivery).map(() => r.name));
    if (failed.length > 0)
      notes.push(
        `${failed.length} deliveries ended without a 2xx/4xx answer after retries (${[...new Set(failed)].join(', ')})`,
      );
    if (notes.length > 0) out('');
    for (const note of notes) out(note);

    const result: DemoResult = {
      exitCode: failed.length > 0 ? 1 : 0,
      functions: reports,
      summary,
      pairs,
      vcsimEvents: vcsimEvents.length,
      logDir,
    };
    await options.inspect?.(peers, result);
    out(`done in ${seconds(t0)} s; function logs in ${logDir}`);
    return result;
  } finally {
    // Functions first (they drain and close their vCenter sessions), then their peers.
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
