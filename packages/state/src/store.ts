/**
 * The persistence seam behind dedupe and ordering (powertools-style): a minimal interface with one
 * atomic operation per state change, implemented by the Redis and the in-memory store.
 */
export interface StateStore {
  /** `redis` or `memory`, for logs and metrics. */
  readonly kind: 'redis' | 'memory';
  /** Connects (Redis) or announces itself (memory). Throws `StateStoreError` when it cannot. */
  start(): Promise<void>;
  /**
   * Claims `key` for `owner` with an in-progress lease, atomically. A completed record is never
   * overwritten; an in-progress record is taken over only once its lease has expired.
   */
  claim(key: string, request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Records that `owner` finished the work (kept `ttlMs`). Completes the owner's in-progress
   * record; writes a completed record when there is none (it was lost: Redis restarted or failed
   * over without it, or it was evicted), so redeliveries are duplicates; leaves a record that
   * another delivery holds or completed alone. See {@link CompleteOutcome}.
   */
  complete(
    key: string,
    owner: string,
    ttlMs: number,
    fingerprint?: string,
  ): Promise<CompleteOutcome>;
  /** Deletes an in-progress record so a retry can run; only while `owner` still holds it. */
  release(key: string, owner: string): Promise<boolean>;
  /** The ordering mark of a scope (highest event key handled), or `undefined` when none is known. */
  getMark(scopeKey: string): Promise<number | undefined>;
  /** Sets the mark to `max(mark, eventKey)` atomically and keeps it `ttlMs`; returns the new mark. */
  advanceMark(scopeKey: string, eventKey: number, ttlMs: number): Promise<number>;
  /** Closes connections. Idempotent. */
  close(): Promise<void>;
}

export interface ClaimRequest {
  /** A random token naming this attempt; complete and release must present it. */
  owner: string;
  /** How long the claim blocks other attempts before it may be taken over. */
  leaseMs: number;
  /** How long the record lives at most (a completed record is refreshed to the dedupe TTL). */
  ttlMs: number;
  /** Payload fingerprint stored with the record, compared on later claims. */
  fingerprint: string;
}

export type ClaimResult =
  | { status: 'claimed'; takeover: boolean; previousOwner?: string }
  | { status: 'completed'; fingerprint: string }
  | { status: 'in_progress'; fingerprint: string; retryAfterMs: number };

/**
 * What `complete` found and did:
 * - `completed`: the owner's claim is now completed (or already was);
 * - `recreated`: the record had vanished; a completed record was written;
 * - `taken_over`: another delivery holds it in progress; left alone (that delivery decides);
 * - `completed_by_other`: another delivery completed it too; left alone.
 */
export type CompleteOutcome = 'completed' | 'recreated' | 'taken_over' | 'completed_by_other';

/** The minimal logger the stores and guards need; a pino logger fits. */
export interface StateLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
