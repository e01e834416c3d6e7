import type { Receiver, ReceiverSpec } from './receivers.js';
import type { VcsimPeer } from './vcsim-peer.js';

/** The demo's running peers, as a function entry sees them. */
export interface DemoPeers {
  /** The started receiver of `spec` (the entry must list the spec in `receivers`). */
  receiver<R extends Receiver>(spec: ReceiverSpec<R>): R;
  /** vcsim, unless it was skipped (then entries with `vcsim: true` are skipped too). */
  readonly vcsim: VcsimPeer | undefined;
}

/** A summary row an entry adds, read from a peer once the events are delivered. */
export interface SummaryRowSpec {
  /** The row's name, e.g. `tags attached`. */
  readonly result: string;
  read(peers: DemoPeers): Promise<{ count: number; source: string }>;
}

/**
 * One function of the demo: adding a function to the demo is adding one of these to
 * `DEMO_FUNCTIONS` (src/demo/catalog.ts).
 */
export interface DemoFunction {
  /** Its folder under `functions/`; run as `node functions/<name>/dist/main.js`. */
  readonly name: string;
  /** The stand-ins it sends to (each started once, shared between entries by `id`). */
  readonly receivers?: readonly ReceiverSpec[];
  /** It needs vcsim: skipped, with the reason in the summary, when vcsim is not there. */
  readonly vcsim?: boolean;
  /**
   * The events the broker may route to it (always through its Triggers in values.yaml): the VEBA
   * sample corpus and/or the events of the demo's real vcsim actions.
   */
  readonly events: { readonly corpus: boolean; readonly vcsim: boolean };
  /**
   * It keeps order per VM: before anything else it gets one VM's two events newest first, and
   * must skip the older one as stale.
   */
  readonly outOfOrderPair?: boolean;
  /** Its environment (on top of the demo's: `PORT=0`, `LOG_LEVEL=info`, no `REDIS_URL`). */
  env(peers: DemoPeers): Record<string, string>;
  /** Summary rows of its own (receivers add theirs by themselves). */
  readonly rows?: readonly SummaryRowSpec[];
}

/** The vcsim peer, for entries with `vcsim: true` (the demo starts those only when it is up). */
export function requireVcsim(peers: DemoPeers): VcsimPeer {
  if (peers.vcsim === undefined) throw new Error('vcsim is not running');
  return peers.vcsim;
}
