import type { OutgoingEvent } from '../events.js';
import type { TriggerSummary } from '../values.js';
import type { Receiver, ReceiverSpec } from './receivers.js';
import type { VcsimPeer } from './vcsim-peer.js';

/** The demo's running peers, as a function entry sees them. */
export interface DemoPeers {
  /** The started receiver of `spec` (the entry must list the spec in `receivers`). */
  receiver<R extends Receiver>(spec: ReceiverSpec<R>): R;
  /** vcsim, unless it was skipped (then entries with `vcsim: true` are skipped too). */
  readonly vcsim: VcsimPeer | undefined;
  /**
   * The demo's one redis-server (`redis://127.0.0.1:<port>`), started when an entry has
   * `redis: true`; undefined otherwise (entries with `redis: true` are then skipped).
   */
  readonly redisUrl: string | undefined;
}

/** A summary row an entry adds, read from a peer once the events are delivered. */
export interface SummaryRowSpec {
  /** The row's name, e.g. `tags attached`. */
  readonly result: string;
  read(peers: DemoPeers): Promise<{ count: number; source: string }>;
}

/**
 * One function of the demo: adding a function to the demo is adding one of these to
 * `DEMO_FUNCTIONS` (src/demo/catalog.ts). Two deployments of one function are two entries with
 * distinct `instance`s.
 */
export interface DemoFunction {
  /** Its folder under `functions/`; run as `node functions/<name>/dist/main.js`. */
  readonly name: string;
  /**
   * Its name in the demo's output and its log file (`<instance>.log`); default `name`. Entries
   * of one function need distinct ones.
   */
  readonly instance?: string;
  /** The stand-ins it sends to (each started once, shared between entries by `id`). */
  readonly receivers?: readonly ReceiverSpec[];
  /** It needs vcsim: skipped, with the reason in the summary, when vcsim is not there. */
  readonly vcsim?: boolean;
  /** It needs the demo's Redis (`peers.redisUrl`): skipped, with the reason, without one. */
  readonly redis?: boolean;
  /**
   * The events the broker may route to it (through its Triggers): the VEBA sample corpus and/or
   * the events of the demo's real vcsim actions.
   */
  readonly events: { readonly corpus: boolean; readonly vcsim: boolean };
  /**
   * This deployment's Triggers, when they are not those of the function's values.yaml (a second
   * deployment of one function subscribes to other types). Same matching: exact attributes.
   */
  readonly triggers?: readonly TriggerSummary[];
  /**
   * It keeps order per VM: before anything else it gets one VM's two events newest first, and
   * must skip the older one as stale.
   */
  readonly outOfOrderPair?: boolean;
  /**
   * Entries with the same group act on the same objects and share ordering state (one Redis):
   * the broker hands their events over one at a time, in one shuffled order across the group, so
   * what they leave behind depends on the events' Keys only, never on which of two requests
   * handled at the same moment reached vCenter first (that race is not ordered: state package
   * README, "Concurrency"). VEBA emits one VM's events seconds apart, in Key order.
   */
  readonly serialGroup?: string;
  /**
   * Events of its own, made from the full corpus (quick runs too): delivered one at a time after
   * everything else, as what happens later (an alarm turning green again).
   */
  followUps?(corpus: readonly OutgoingEvent[]): OutgoingEvent[];
  /** Runs before the function starts (e.g. a tag an operator creates beforehand). */
  prepare?(peers: DemoPeers): Promise<void>;
  /** Its environment (on top of the demo's: `PORT=0`, `LOG_LEVEL=info`; `REDIS_URL` only if set here). */
  env(peers: DemoPeers): Record<string, string>;
  /** Summary rows of its own (receivers add theirs by themselves). */
  readonly rows?: readonly SummaryRowSpec[];
}

/** The name an entry has in the demo's output: `instance`, else `name`. */
export function instanceName(entry: DemoFunction): string {
  return entry.instance ?? entry.name;
}

/** The vcsim peer, for entries with `vcsim: true` (the demo starts those only when it is up). */
export function requireVcsim(peers: DemoPeers): VcsimPeer {
  if (peers.vcsim === undefined) throw new Error('vcsim is not running');
  return peers.vcsim;
}

/** The Redis URL, for entries with `redis: true` (the demo starts those only when it is up). */
export function requireRedis(peers: DemoPeers): string {
  if (peers.redisUrl === undefined) throw new Error('Redis is not running');
  return peers.redisUrl;
}
