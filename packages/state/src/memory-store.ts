import type {
  ClaimRequest,
  ClaimResult,
  CompleteOutcome,
  StateLogger,
  StateStore,
} from './store.js';

export interface MemoryStateStoreOptions {
  logger: StateLogger;
  /** Most records + marks kept; when full, the least recently used 10 % go. Default 10 000. */
  maxEntries?: number;
  /** Clock in epoch ms, for tests. Default `Date.now`. */
  now?: () => number;
}

type Entry =
  | {
      kind: 'record';
      state: 'in_progress' | 'completed';
      owner: string;
      leaseUntil: number;
      fingerprint: string;
      expiresAt: number;
    }
  | { kind: 'mark'; value: number; expiresAt: number };

/**
 * Dedupe records and ordering marks in this process only: the same semantics as the Redis store,
 * but every replica (and every restart) starts with its own empty state. Bounded (LRU) with TTL.
 *
 * @example
 * const store = createMemoryStateStore({ logger, maxEntries: 5000 });
 */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly logger: StateLogger;
  private announced = false;
  private warnedFull = false;

  constructor(options: MemoryStateStoreOptions) {
    this.logger = options.logger;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
  }

  /** Entries held now (expired ones included until touched or evicted). */
  get size(): number {
    return this.entries.size;
  }

  start(): Promise<void> {
    if (!this.announced) {
      this.announced = true;
      this.logger.info(
        { store: 'memory', maxEntries: this.maxEntries },
        'state store is in memory: dedupe and ordering are per instance (set REDIS_URL to share them across replicas and restarts)',
      );
    }
    return Promise.resolve();
  }

  claim(key: string, request: ClaimRequest): Promise<ClaimResult> {
    const now = this.now();
    const existing = this.read(key, 'record', now);
    if (existing?.state === 'completed') {
      return Promise.resolve({ status: 'completed', fingerprint: existing.fingerprint });
    }
    if (existing && existing.owner !== request.owner && existing.leaseUntil > now) {
      return Promise.resolve({
        status: 'in_progress',
        fingerprint: existing.fingerprint,
        retryAfterMs: existing.leaseUntil - now,
      });
    }
    this.write(key, {
      kind: 'record',
      state: 'in_progress',
      owner: request.owner,
      leaseUntil: now + request.leaseMs,
      fingerprint: request.fingerprint,
      expiresAt: now + Math.max(request.ttlMs, request.leaseMs),
    });
    return Promise.resolve(
      existing && existing.owner !== request.owner
        ? { status: 'claimed', takeover: true, previousOwner: existing.owner }
        : { status: 'claimed', takeover: false },
    );
  }

  complete(key: string, owner: string, ttlMs: number, fingerprint = ''): Promise<CompleteOutcome> {
    const now = this.now();
    const existing = this.read(key, 'record', now);
    if (existing && existing.owner !== owner) {
      return Promise.resolve(existing.state === 'completed' ? 'completed_by_other' : 'taken_over');
    }
    if (existing?.state === 'completed') return Promise.resolve('completed');
    // Evicted (or never claimed): the owner did the work, so remember it as done.
    this.write(key, {
      kind: 'record',
      state: 'completed',
      owner,
      leaseUntil: 0,
      fingerprint: existing?.fingerprint ?? fingerprint,
      expiresAt: now + ttlMs,
    });
    return Promise.resolve(existing ? 'completed' : 'recreated');
  }

  release(key: string, owner: string): Promise<boolean> {
    const existing = this.read(key, 'record', this.now());
    if (existing?.state !== 'in_progress' || existing.owner !== owner)
      return Promise.resolve(false);
    this.entries.delete(key);
    return Promise.resolve(true);
  }

  getMark(scopeKey: string): Promise<number | undefined> {
    return Promise.resolve(this.read(scopeKey, 'mark', this.now())?.value);
  }

  advanceMark(scopeKey: string, eventKey: number, ttlMs: number): Promise<number> {
    const now = this.now();
    const current = this.read(scopeKey, 'mark', now)?.value;
    const value = current === undefined ? eventKey : Math.max(current, eventKey);
    this.write(scopeKey, { kind: 'mark', value, expiresAt: now + ttlMs });
    return Promise.resolve(value);
  }

  /** Drops every record and mark, like a restart would; the store stays usable. */
  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }

  private read<K extends Entry['kind']>(
    key: string,
    kind: K,
    now: number,
  ): Extract<Entry, { kind: K }> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    if (entry.kind !== kind) return undefined;
    // Map order is the LRU order: a read moves the entry to the young end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry as Extract<Entry, { kind: K }>;
  }

  private write(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size <= this.maxEntries) return;
    // Least recently used first, down to 90 % in one pass: evicting one entry per write would
    // rescan the Map's deleted slots at its head every time (measured 5x slower when full).
    const target = Math.max(1, Math.floor(this.maxEntries * 0.9));
    const now = this.now();
    let evictedLive = false;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= target) break;
      this.entries.delete(k);
      if (e.expiresAt > now) evictedLive = true;
    }
    if (evictedLive && !this.warnedFull) {
      this.warnedFull = true;
      this.logger.warn(
        { store: 'memory', maxEntries: this.maxEntries },
        'memory state store is full: evicting the least recently used records before their TTL',
      );
    }
  }
}

/** Creates the in-memory store (see {@link MemoryStateStore}). */
export function createMemoryStateStore(options: MemoryStateStoreOptions): MemoryStateStore {
  return new MemoryStateStore(options);
}
