import { EVENT_OUTCOMES, type EventOutcome } from '@veba-functions/runtime';
import { sumSamples } from '@veba-functions/test-helpers';
import type { DeliveryResult } from '../delivery.js';

/** The outcomes the runtime counts in `veba_function_events_total{outcome}` (its own list). */
export const OUTCOMES: readonly EventOutcome[] = EVENT_OUTCOMES;

export type OutcomeCounts = Readonly<Record<EventOutcome, number>>;

/** `veba_function_events_total` summed by outcome from a function's `/metrics` text. */
export function outcomesFromMetrics(text: string): OutcomeCounts {
  const counts = {} as Record<EventOutcome, number>;
  for (const outcome of OUTCOMES) {
    counts[outcome] = sumSamples(text, 'veba_function_events_total', { outcome });
  }
  return counts;
}

/** What one function got and answered. */
export interface FunctionReport {
  readonly name: string;
  /** Distinct events the broker routed to it. */
  readonly events: number;
  /** Every delivery's final result (after retries). */
  readonly results: readonly DeliveryResult[];
  /** From its `/metrics`. */
  readonly outcomes: OutcomeCounts;
}

/** One line of the closing summary. */
export interface SummaryRow {
  readonly result: string;
  /** A count read from a real answer, or `skipped` (with the reason as `source`). */
  readonly count: number | 'skipped';
  readonly source: string;
}

const attempts = (report: FunctionReport): number =>
  report.results.reduce((n, r) => n + r.attempts.length, 0);

const finals = (report: FunctionReport, test: (status: number | undefined) => boolean): number =>
  report.results.filter((r) => test(r.status)).length;

/** A delivery that ended without an answer the broker stops at (2xx or 4xx): a lost event. */
export function isFailedDelivery(result: DeliveryResult): boolean {
  return result.status === undefined || result.status >= 500;
}

/** The per-function table: what the broker sent and what the function's metrics say. */
export function functionTable(reports: readonly FunctionReport[]): {
  header: string[];
  rows: (string | number)[][];
} {
  return {
    header: [
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
    ],
    rows: reports.map((report) => [
      report.name,
      report.events,
      report.results.length,
      attempts(report),
      finals(report, (s) => s !== undefined && s >= 200 && s < 300),
      finals(report, (s) => s === 400),
      finals(report, (s) => s === undefined || s < 200 || (s >= 300 && s !== 400)),
      report.outcomes.processed,
      report.outcomes.duplicate,
      report.outcomes.stale,
      report.outcomes.invalid,
      report.outcomes.ignored,
    ]),
  };
}

/** The summary rows every run has, summed over the functions. */
export function commonSummaryRows(reports: readonly FunctionReport[]): SummaryRow[] {
  const sum = (pick: (report: FunctionReport) => number): number =>
    reports.reduce((n, report) => n + pick(report), 0);
  return [
    {
      result: 'delivered',
      count: sum((r) => r.results.length),
      source: `HTTP deliveries (${sum(attempts)} attempts with retries)`,
    },
    {
      result: 'processed',
      count: sum((r) => r.outcomes.processed),
      source: 'veba_function_events_total{outcome="processed"}',
    },
    {
      result: 'duplicates suppressed',
      count: sum((r) => r.outcomes.duplicate),
      source: 'outcome="duplicate"',
    },
    {
      result: 'stale skipped',
      count: sum((r) => r.outcomes.stale),
      source: 'outcome="stale" (older Key than one handled for its VM or alarm)',
    },
    {
      result: 'invalid rejected',
      count: sum((r) => r.outcomes.invalid),
      source: 'outcome="invalid" (400)',
    },
  ];
}

/** The summary as table rows. */
export function summaryTable(rows: readonly SummaryRow[]): {
  header: string[];
  rows: (string | number)[][];
} {
  return {
    header: ['result', 'count', 'source'],
    rows: rows.map((row) => [row.result, row.count, row.source]),
  };
}

/** A plain-text table: numbers right-aligned, text left-aligned, a dashed line under the header. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string[] {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => String(row[i] ?? '').length)),
  );
  const line = (cells: readonly (string | number)[]): string =>
    cells
      .map((cell, i) =>
        typeof cell === 'number' ? String(cell).padStart(widths[i]!) : cell.padEnd(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** One delivery's final answer as the function sent it: status and the body's first 100 chars. */
export function describeAnswer(result: DeliveryResult): string {
  if (result.status === undefined) return 'no answer (network error)';
  const text = result.body.replace(/\s+/g, ' ').trim();
  const body = text.length > 100 ? `${text.slice(0, 100)}...` : text;
  return `${result.status}${body ? ` ${body}` : ''}`;
}
