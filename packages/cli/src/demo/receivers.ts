/**
 * What the demo needs of a local stand-in for a vendor service a function sends to (Slack, Teams,
 * Google Chat, an SMTP relay, PagerDuty, a webhook receiver). The stand-ins themselves are the
 * notifier's (`@veba-functions/notifier/testing`, `.../testing/smtp`): one model of each
 * vendor's documented answers in the repository. The demo adapts each to this interface.
 */

/** One count a receiver adds to the summary, read from what it got. */
export interface ReceiverCount {
  /** The summary row's name, e.g. `Slack messages received`. */
  readonly result: string;
  readonly count: number;
  /** Where the count comes from. */
  readonly source: string;
}

/** A started stand-in, as the demo sees it. */
export interface Receiver {
  /** Where functions reach it: a URL (HTTP) or `host:port` (SMTP). */
  readonly address: string;
  /** What it counted so far, as summary rows (read once the deliveries are done). */
  counts(): readonly ReceiverCount[];
  stop(): Promise<void>;
}

/**
 * How the demo starts a receiver. Entries name the specs they need; the demo starts each spec
 * once (by `id`) and hands the started receiver to the entries' `env`.
 */
export interface ReceiverSpec<R extends Receiver = Receiver> {
  /** Unique among the demo's receivers, e.g. `slack`. */
  readonly id: string;
  start(): Promise<R>;
}
