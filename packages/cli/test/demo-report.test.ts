import { defineFunction } from '@veba-functions/runtime';
import { createStateGuards } from '@veba-functions/state';
import {
  fixtureEvent,
  httpRequest,
  startTestFunction,
  type TestFunction,
} from '@veba-functions/test-helpers';
import { vmOrderingScope, vsphereEventParser } from '@veba-functions/vsphere-events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commonSummaryRows,
  formatTable,
  functionTable,
  outcomesFromMetrics,
  type FunctionReport,
} from '../src/demo/report.js';
import { deliverEvent, type DeliveryResult } from '../src/delivery.js';
import type { OutgoingEvent } from '../src/events.js';

/** A corpus power-on as the broker would deliver it, with its own id and Key. */
function powerOn(id: string, key: number): OutgoingEvent {
  const { data, ...attributes } = fixtureEvent(
    'docs-extracted/docs-use-eventspec__DrsVmPoweredOnEvent.json',
    { id },
  );
  return {
    attributes: attributes as Record<string, string>,
    data: { ...(data as object), Key: key },
    origin: `power-on ${key}`,
  };
}

describe('the summary, from the answers and /metrics of a real function', () => {
  // A vSphere function on the runtime with dedupe and ordering, as vm-tag-on-power-on has them.
  let fn: TestFunction;
  let results: DeliveryResult[];
  let report: FunctionReport;

  beforeAll(async () => {
    fn = await startTestFunction(
      defineFunction({
        name: 'report-probe',
        parse: vsphereEventParser({ classes: ['DrsVmPoweredOnEvent'] }),
        guards: createStateGuards({
          dedupe: true,
          ordering: { policy: 'skip', scope: vmOrderingScope },
        }),
        handle(event) {
          event.requireVm();
        },
      }),
    );
    const newer = powerOn('k-20', 20);
    const older = powerOn('k-10', 10);
    const noVm = { ...powerOn('k-30', 30), data: { Key: 30, Vm: null } };
    const other = {
      ...powerOn('k-40', 40),
      attributes: { ...newer.attributes, id: 'k-40', type: 'com.vmware.vsphere.VmRemovedEvent.v0' },
    };
    results = [];
    for (const event of [newer, newer, older, noVm, other]) {
      results.push(await deliverEvent(fn.url, event, { retries: 0 }));
    }
    const metrics = await httpRequest(fn.url, { method: 'GET', path: '/metrics' });
    report = {
      name: 'report-probe',
      events: 4,
      results,
      outcomes: outcomesFromMetrics(metrics.body),
    };
  });
  afterAll(() => fn?.stop());

  it('reads veba_function_events_total by outcome', () => {
    expect(results.map((r) => r.status)).toEqual([204, 200, 200, 400, 200]);
    expect(report.outcomes).toMatchObject({
      processed: 1,
      duplicate: 1,
      stale: 1,
      invalid: 1,
      ignored: 1,
      failed: 0,
    });
  });

  it('sums the common rows and the per-function table from those numbers', () => {
    expect(commonSummaryRows([report, report])).toEqual([
      { result: 'delivered', count: 10, source: 'HTTP deliveries (10 attempts with retries)' },
      {
        result: 'processed',
        count: 2,
        source: 'veba_function_events_total{outcome="processed"}',
      },
      { result: 'duplicates suppressed', count: 2, source: 'outcome="duplicate"' },
      {
        result: 'stale skipped',
        count: 2,
        source: 'outcome="stale" (older Key than one handled for its VM or alarm)',
      },
      { result: 'invalid rejected', count: 2, source: 'outcome="invalid" (400)' },
    ]);
    expect(functionTable([report]).rows).toEqual([
      ['report-probe', 4, 5, 5, 4, 1, 0, 1, 1, 1, 1, 1],
    ]);
  });

  it('counts zero for a function that got nothing', () => {
    expect(outcomesFromMetrics('# HELP nothing here\n').processed).toBe(0);
  });
});

describe('formatTable', () => {
  it('right-aligns numbers, left-aligns text, dashes under the header', () => {
    expect(
      formatTable(
        ['result', 'count', 'source'],
        [
          ['delivered', 103, 'HTTP'],
          ['tags attached', 'skipped', 'no vcsim'],
        ],
      ),
    ).toEqual([
      'result         count    source',
      '-------------  -------  --------',
      'delivered          103  HTTP',
      'tags attached  skipped  no vcsim',
    ]);
  });
});
