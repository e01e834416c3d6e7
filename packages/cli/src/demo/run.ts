import { setMaxListeners } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRequest, startRedis, type RedisServer } from '@veba-functions/test-helpers';
import type { DeliveryResult } from '../delivery.js';
import type { OutgoingEvent } from '../events.js';
import { dispatchPlan, sendTo } from './broker.js';
import { buildDemo } from './build.js';
import { DEMO_FUNCTIONS, DEMO_SCENARIO } from './catalog.js';
import { corpusEvents, type CorpusEvents } from './corpus.js';
import { instanceName, type DemoFunction, type DemoPeers } from './demo-function.js';
import { DemoError, FunctionStartError } from './errors.js';
import { startFunctionProcess, type FunctionProcess } from './function-process.js';
import { startBrokerIngress } from './ingress.js';
import { vmAndKey } from './plan.js';
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
import { planUnits, routeEvents, type DispatchUnit, type Routed } from './schedule.js';
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
  /** One per started entry, named by its instance. */
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

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

/** `com.vmware.vsphere.VmPoweredOnEvent.v0` -> `VmPoweredOnEvent`. */
function shortType(type: string | undefined): string {
  return /^com\.vmware\.vsphere\.(.+)\.v0$/.exec(type ?? '')?.[1] ?? type ?? '(no type)';
}

function describeEvent(event: OutgoingEvent): string {
  return `Key ${vmAndKey(event)?.key ?? '?'} (${event.origin})`;
}

/** Why an entry cannot run here, or undefined. */
function missingPeer(
  entry: DemoFunction,
  vcsim: VcsimPeer | undefined,
  vcsimSkipped: string | undefined,
  redis: RedisServer | undefined,
  redisSkipped: string | undefined,
): string | undefined {
  if (entry.vcsim === true && vcsim === undefined) return vcsimSkipped ?? 'vcsim not running';
  if (entry.redis === true && redis === undefined) return redisSkipped ?? 'Redis not running';
  return undefined;
}

/** A unit delivered: each member's results and the unit's pair answers. */
async function deliverUnit(
  unit: DispatchUnit<FunctionProcess>,
  signal: AbortSignal,
): Promise<{ reports: FunctionReport[]; pair?: PairOutcome }> {
  const sends = new Map(unit.members.map((m) => [m, sendTo(m.process.url, { signal })]));
  const result = await dispatchPlan(unit.plan, (t) => sends.get(t.to)!(t.event), {
    parallelism: unit.parallelism,
  });
  const reports = await Promise.all(
    unit.members.map(async (member): Promise<FunctionReport> => {
      const metrics = await httpRequest(member.process.url, { method: 'GET', path: '/metrics' });
      return {
        name: member.name,
        events: member.events.length + member.followUps.length,
        results: result.deliveries.filter((d) => d.item.to === member).map((d) => d.result),
        outcomes: outcomesFromMetrics(metrics.body),
      };
    }),
  );
  const pair =
    result.pairResults && unit.plan.pair
      ? {
          functionName: unit.members[0]!.name,
          vm: unit.plan.pair.vm,
          newer: result.pairResults[0],
          older: result.pairResults[1],
        }
      : undefined;
  return { reports, ...(pair ? { pair } : {}) };
}

/**
 * Runs the demo: starts the broker ingress, vcsim with its source emulator pointed at it, Redis
 * when an entry needs it, the receivers and the functions (child processes, in parallel); drives
 * the scenario on vcsim; routes the corpus and vcsim's events by each function's Triggers and
 * delivers them with duplicates, reordering and retries; then reads every number of the report
 * from the functions' answers and `/metrics`, the receivers and vcsim. Rejects with DemoError
 * when functions fail to start.
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
    let redisSkipped: string | undefined;
    if (options.build) {
      const builtAt = performance.now();
      const names = [...new Set(entries.map((e) => e.name))];
      out(`building ${names.join(', ')}${wantsVcsim ? ' and vcsim' : ''} (logs in ${logDir})...`);
      const { vcsimError } = await buildDemo({
        root: options.root,
        functions: entries,
        vcsim: wantsVcsim,
        logDir,
      });
      if (vcsimError) vcsimSkipped = `vcsim could not be built (${oneLine(vcsimError)})`;
      out(`  built in ${seconds(builtAt)} s`);
    }

    const peersAt = performance.now();
    const ingress = await startBrokerIngress({
      origin: (event) => `vcsim ${shortType(event.attributes.type)}`,
    });
    cleanups.push(() => ingress.stop());

    // vcsim and Redis: one each, shared by every entry that needs them.
    const wantsRedis = entries.some(
      (e) => e.redis === true && (e.vcsim !== true || vcsimSkipped === undefined),
    );
    const [vcsimStart, redisStart] = await Promise.allSettled([
      wantsVcsim && vcsimSkipped === undefined
        ? startVcsimPeer({ sinks: [ingress.url] })
        : Promise.resolve(undefined),
      // A private server: the marks of an earlier run (vcsim restarts its Keys) must not count.
      wantsRedis ? startRedis({ dedicated: true }) : Promise.resolve(undefined),
    ]);
    const vcsim = vcsimStart.status === 'fulfilled' ? vcsimStart.value : undefined;
    if (vcsim) cleanups.push(() => vcsim.stop());
    else if (vcsimStart.status === 'rejected')
      vcsimSkipped = `vcsim did not start (${oneLine(vcsimStart.reason)})`;
    const redis = redisStart.status === 'fulfilled' ? redisStart.value : undefined;
    if (redis) cleanups.push(() => redis.stop());
    else if (redisStart.status === 'rejected')
      redisSkipped = `redis-server did not start (${oneLine(redisStart.reason)})`;

    const skipped = new Map<DemoFunction, string>();
    for (const entry of entries) {
      const why = missingPeer(entry, vcsim, vcsimSkipped, redis, redisSkipped);
      if (why !== undefined) skipped.set(entry, why);
    }
    const active = entries.filter((e) => !skipped.has(e));

    const receivers = new Map<string, Receiver>();
    const specs = new Map<string, ReceiverSpec>();
    for (const spec of active.flatMap((e) => e.receivers ?? [])) specs.set(spec.id, spec);
    const peers: DemoPeers = {
      receiver<R extends Receiver>(spec: ReceiverSpec<R>): R {
        const receiver = receivers.get(spec.id);
        if (receiver === undefined) throw new Error(`receiver ${spec.id} was not started`);
        return receiver as R;
      },
      vcsim,
      redisUrl: redis?.url,
    };
    // The receivers and what entries prepare, at once.
    const ready = await Promise.allSettled([
      ...[...specs.values()].map(async (spec) => {
        const receiver = await spec.start();
        receivers.set(spec.id, receiver);
        cleanups.push(() => receiver.stop());
      }),
      ...active.map((entry) => entry.prepare?.(peers)),
    ]);
    const unready = ready.flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason] : []));
    if (unready.length > 0) {
      throw new DemoError(`the demo's peers did not start: ${unready.map(oneLine).join('; ')}`, {
        cause: unready[0],
      });
    }

    out(
      `peers up in ${seconds(peersAt)} s: broker ingress${vcsim ? ', vcsim' : ''}${redis ? ', Redis' : ''}` +
        (specs.size > 0 ? `, stand-ins for ${[...specs.keys()].join(', ')}` : ''),
    );

    // The functions start while vcsim runs the scenario: its events wait at the broker ingress.
    const startedAt = performance.now();
    let startSeconds = '0';
    let scenarioSeconds = '0';
    const [starts, scenarioRun] = await Promise.all([
      Promise.allSettled(
        active.map((entry) =>
          startFunctionProcess({
            root: options.root,
            name: entry.name,
            label: instanceName(entry),
            env: entry.env(peers),
            logDir,
          }),
        ),
      ).finally(() => (startSeconds = seconds(startedAt))),
      (vcsim?.runScenario(scenario) ?? Promise.resolve())
        .then(() => undefined, asError)
        .finally(() => (scenarioSeconds = seconds(startedAt))),
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
      `started ${processes.length} functions in ${startSeconds} s` +
        (vcsim ? ` (vcsim's scenario meanwhile: ${scenarioSeconds} s)` : '') +
        `; logs in ${logDir}`,
    );
    for (const p of processes) out(`  ${p.name} ${p.url}`);
    if (vcsim) {
      const users = new Set(vcsim.actions.map((a) => a.user));
      out(
        `vcsim ${vcsim.server.url}: ${vcsim.actions.length} actions (${scenario.map((s) => `${s.action} ${s.vm}`).join(', ')}) ` +
          `as ${[...users].join(', ')}; its source emulator posted ${ingress.events.length} events to the broker ingress`,
      );
    }
    if (redis)
      out(
        `redis ${redis.url}: shared by ${active
          .filter((e) => e.redis)
          .map(instanceName)
          .join(', ')}`,
      );
    for (const [entry, why] of skipped) notes.push(`${instanceName(entry)} skipped: ${why}`);

    const quickEvery = options.quick ? QUICK_CORPUS_EVERY : 1;
    const corpus: CorpusEvents = active.some((e) => e.events.corpus)
      ? corpusEvents({ every: quickEvery })
      : { events: [], undeliverable: [] };
    let full: readonly OutgoingEvent[] | undefined = quickEvery === 1 ? corpus.events : undefined;
    const vcsimEvents = [...ingress.events];
    const routed = routeEvents(
      active.map((entry, i) => ({ entry, process: processes[i]! })),
      {
        root: options.root,
        corpus: corpus.events,
        vcsim: vcsimEvents,
        fullCorpus: () => (full ??= corpusEvents().events),
      },
    );
    const units = planUnits(routed, { seed, notes });

    out(
      `delivering ${corpus.events.length} VEBA sample events and ${vcsimEvents.length} vcsim events, routed by each ` +
        `function's Triggers: shuffled (seed ${seed}), every other one delivered twice at once, the first third ` +
        `replayed again; binary mode, retries with backoff`,
    );
    for (const unit of units) {
      const { pair } = unit.plan;
      if (pair !== undefined) {
        out(
          `  out of order, before the shuffle: ${unit.members[0]!.name} gets, for VM ${pair.vm}, the power-on ` +
            `${describeEvent(pair.newer.event)} first, then the older ${describeEvent(pair.older.event)} ` +
            '(two broker consumers racing): the older one must be skipped as stale',
        );
      }
      if (unit.group !== undefined) {
        out(
          `  ${unit.members.map((m) => m.name).join(' and ')} (one tag, one Redis) get their events one at a time, ` +
            'in one shuffled order: each VM must end as its newest power event says',
        );
      }
      for (const { to, event } of unit.plan.after)
        out(`  later, one at a time: ${to.name} gets ${event.origin}`);
    }
    const deliveredAt = performance.now();
    // One signal for every delivery in flight (each adds a listener): Ctrl-C aborts them all.
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const onAbort = (): void => abort.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const delivered = await Promise.all(
      units.map((unit) => deliverUnit(unit, abort.signal)),
    ).finally(() => options.signal?.removeEventListener('abort', onAbort));
    out(`delivered in ${seconds(deliveredAt)} s`);
    const pairs = delivered.flatMap((d) => (d.pair ? [d.pair] : []));
    for (const pair of pairs) {
      out(
        `  ${pair.functionName}, out-of-order pair answered: newer ${describeAnswer(pair.newer)}; older ${describeAnswer(pair.older)}`,
      );
    }

    // Reports in the catalog's order.
    const byName = new Map(delivered.flatMap((d) => d.reports).map((r) => [r.name, r]));
    const reports = routed.map((r) => byName.get(r.name)!);
    const summary: SummaryRow[] = [...commonSummaryRows(reports)];
    for (const receiver of receivers.values()) summary.push(...receiver.counts());
    for (const entry of active) {
      for (const row of entry.rows ?? [])
        summary.push({ result: row.result, ...(await row.read(peers)) });
    }
    for (const [entry, why] of skipped) {
      for (const row of entry.rows ?? [])
        summary.push({
          result: row.result,
          count: 'skipped',
          source: `${instanceName(entry)} skipped: ${why}`,
        });
    }

    out('');
    const table = functionTable(reports);
    for (const line of formatTable(table.header, table.rows)) out(line);
    out('');
    const totals = summaryTable(summary);
    for (const line of formatTable(totals.header, totals.rows)) out(line);

    reportUnrouted(out, routed, corpus, vcsimEvents);
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

/** The samples and vcsim event types no Trigger selects, and the sample files that are not events. */
function reportUnrouted(
  out: (line: string) => void,
  routed: readonly Routed<unknown>[],
  corpus: CorpusEvents,
  vcsimEvents: readonly OutgoingEvent[],
): void {
  const routedSet = new Set(routed.flatMap((r) => r.events));
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
}
