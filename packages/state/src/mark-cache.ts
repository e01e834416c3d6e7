/**
 * A per-process memory of ordering marks, used for one answer only: "stale". A mark is the key of an
 * event some instance really handled, and marks only grow, so `eventKey < cachedMark` stays true
 * whatever the store says later (even if the store lost the mark). "In order" is never answered
 * from here: another replica may have advanced the mark since. Entries are bounded (LRU) and age
 * out, so an operator who resets marks (e.g. after a vCenter rebuild restarts its keys) waits at most
 * `maxAgeMs` on running instances.
 */
export class MarkCache {
  private readonly marks = new Map<string, { mark: number; until: number }>();

  constructor(
    private readonly maxScopes: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached mark when it proves `eventKey` stale, else undefined (ask the store). */
  staleAgainst(scopeKey: string, eventKey: number): number | undefined {
    const entry = this.marks.get(scopeKey);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.marks.delete(scopeKey);
      return undefined;
    }
    return eventKey < entry.mark ? entry.mark : undefined;
  }

  /** Remembers a mark read from or written to the store; never lowers a known one. */
  observe(scopeKey: string, mark: number): void {
    const entry = this.marks.get(scopeKey);
    const now = this.now();
    const keep = entry && entry.until > now && entry.mark > mark ? entry.mark : mark;
    this.marks.delete(scopeKey);
    this.marks.set(scopeKey, { mark: keep, until: now + this.maxAgeMs });
    if (this.marks.size > this.maxScopes) {
      const oldest = this.marks.keys().next().value;
      if (oldest !== undefined) this.marks.delete(oldest);
    }
  }

  get size(): number {
    return this.marks.size;
  }
}
