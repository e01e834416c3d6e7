// The chart, rendered by the real helm: lint, every function's values, the options, the schema.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderKnativeYaml } from '../../packages/cli/src/render/index.js';
import { helm, repoRoot } from './support/helm.js';
import {
  assertFunctionDeployment,
  byKind,
  containerOf,
  parseManifests,
  type Manifest,
} from './support/manifests.js';

const chart = join(repoRoot, 'charts', 'veba-function');
const functionsDir = join(repoRoot, 'functions');
const NS = 'vmware-functions';
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'veba-chart-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Writes values to a temp file and runs helm template with them. */
async function template(
  values: unknown,
  release = 'demo',
): Promise<{ code: number; manifests: Manifest[]; stderr: string }> {
  const file = join(scratch, `${release}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, JSON.stringify(values));
  const r = await helm(['template', release, chart, '--namespace', NS, '-f', file]);
  return {
    code: r.code,
    stderr: r.stderr,
    manifests: r.code === 0 ? parseManifests(r.stdout) : [],
  };
}

// The real annotation names, written out here rather than imported, so a renamed constant in
// the renderer cannot make both sides agree on a wrong name.
// eventing-rabbitmq pkg/reconciler/trigger/resources/dispatcher.go (ParallelismAnnotation);
// https://knative.dev/docs/eventing/brokers/broker-types/rabbitmq-broker/
const RABBITMQ_PARALLELISM = 'rabbitmq.eventing.knative.dev/parallelism';
// Read by nothing since eventing-rabbitmq knative-v1.4 (eventing-rabbitmq#676).
const RABBITMQ_PREFETCH_COUNT = 'rabbitmq.eventing.knative.dev/prefetchCount';
// eventing-kafka-broker control-plane/pkg/reconciler/trigger/v2/triggerv2.go (deliveryOrderAnnotation);
// https://knative.dev/docs/eventing/brokers/broker-types/kafka-broker/
const KAFKA_DELIVERY_ORDER = 'kafka.eventing.knative.dev/delivery.order';

/** The documents without the labels that say who manages them, in a stable order. */
function withoutManagerLabels(manifests: Manifest[]): Manifest[] {
  return manifests
    .map((m) => {
      const labels = { ...m.metadata.labels };
      delete labels['helm.sh/chart'];
      delete labels['app.kubernetes.io/managed-by'];
      return { ...m, metadata: { ...m.metadata, labels } };
    })
    .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

type Rendered = { ok: true; manifests: Manifest[] } | { ok: false; error: string };

/**
 * The same values through the real helm and through `veba-fn render` (a scratch function folder
 * holding them as its values.yaml). Both must agree: same resources, or both refuse.
 */
async function renderBoth(
  values: unknown,
  release = 'demo',
): Promise<{ helm: Rendered; plain: Rendered }> {
  const r = await template(values, release);
  const helmSide: Rendered =
    r.code === 0 ? { ok: true, manifests: r.manifests } : { ok: false, error: r.stderr };
  const dir = join(scratch, 'functions', release);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'values.yaml'), JSON.stringify(values));
  let plainSide: Rendered;
  try {
    plainSide = {
      ok: true,
      manifests: parseManifests(renderKnativeYaml(dir, { chartDir: chart, namespace: NS })),
    };
  } catch (error) {
    plainSide = { ok: false, error: (error as Error).message };
  }
  if (helmSide.ok && plainSide.ok) {
    expect(withoutManagerLabels(plainSide.manifests)).toEqual(
      withoutManagerLabels(helmSide.manifests),
    );
  }
  return { helm: helmSide, plain: plainSide };
}

const twoTriggers = {
  triggers: [
    {
      name: 'drs-vm-powered-on',
      filter: { attributes: { type: 'com.vmware.vsphere.DrsVmPoweredOnEvent.v0' } },
      annotations: { 'example.com/kept': 'yes' },
    },
    {
      name: 'vm-powered-on',
      filter: { attributes: { type: 'com.vmware.vsphere.VmPoweredOnEvent.v0' } },
      annotations: { 'example.com/kept': 'yes' },
    },
  ],
};

const minimal = {
  triggers: [
    {
      name: 'powered-on',
      filter: { attributes: { type: 'com.vmware.vsphere.VmPoweredOnEvent.v0' } },
    },
  ],
};

// Types a function must subscribe to, where the issue fixes them.
const requiredTypes: Record<string, string[]> = {
  'vm-tag-on-power-on': [
    'com.vmware.vsphere.DrsVmPoweredOnEvent.v0',
    'com.vmware.vsphere.VmPoweredOnEvent.v0',
  ],
};

const functionNames = readdirSync(functionsDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(functionsDir, d.name, 'package.json')))
  .map((d) => d.name)
  .sort();

describe('chart', () => {
  it('passes helm lint --strict, with and without example values', async () => {
    const plain = await helm([
      'lint',
      chart,
      '--strict',
      '--set',
      'triggers[0].name=a',
      '--set',
      'triggers[0].filter.attributes.type=t',
    ]);
    expect(plain.stderr + plain.stdout).toContain('0 chart(s) failed');
    expect(plain.code).toBe(0);
    for (const example of readdirSync(join(chart, 'examples'))) {
      const r = await helm(['lint', chart, '--strict', '-f', join(chart, 'examples', example)]);
      expect(r.code, `${example}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });

  it('renders the example values to a Service and a Trigger per type', async () => {
    const values = parse(
      readFileSync(join(chart, 'examples', 'vm-tag-on-power-on.values.yaml'), 'utf8'),
    ) as unknown;
    const r = await template(values, 'vm-tag-on-power-on');
    expect(r.code, r.stderr).toBe(0);
    const { service, triggers } = assertFunctionDeployment(r.manifests, {
      name: 'vm-tag-on-power-on',
      namespace: NS,
      triggerTypes: [
        'com.vmware.vsphere.DrsVmPoweredOnEvent.v0',
        'com.vmware.vsphere.VmPoweredOnEvent.v0',
      ],
    });
    const container = containerOf(service);
    expect(container.image).toBe('ghcr.io/veba-functions/veba-functions/vm-tag-on-power-on:0.1.0');
    expect(container.env).toContainEqual({
      name: 'TAG_SECRET',
      valueFrom: { secretKeyRef: { name: 'tag-secret', key: 'TAG_SECRET' } },
    });
    expect(triggers[0]!.spec?.delivery).toEqual({
      retry: 5,
      backoffPolicy: 'exponential',
      backoffDelay: 'PT1S',
      deadLetterSink: {
        ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'event-dead-letters' },
      },
    });
  });
});

describe.each(functionNames)('functions/%s/values.yaml', (name) => {
  const valuesFile = join(functionsDir, name, 'values.yaml');

  it('exists', () => {
    expect(existsSync(valuesFile)).toBe(true);
  });

  it('renders with helm to a valid deployment, and veba-fn render gives the same resources', async () => {
    const r = await helm(['template', name, chart, '--namespace', NS, '-f', valuesFile]);
    expect(r.code, r.stderr).toBe(0);
    const manifests = parseManifests(r.stdout);
    const values = parse(readFileSync(valuesFile, 'utf8')) as {
      triggers: { filter: { attributes: { type: string } } }[];
    };
    const triggerTypes = values.triggers.map((t) => t.filter.attributes.type);
    expect(triggerTypes.length).toBeGreaterThan(0);
    for (const type of requiredTypes[name] ?? []) expect(triggerTypes).toContain(type);
    assertFunctionDeployment(manifests, { name, namespace: NS, triggerTypes });
    // VEBA's broker is RabbitMQ, which delivers one event at a time per Trigger unless told
    // otherwise; every function's Triggers say how many.
    for (const t of byKind(manifests, 'Trigger')) {
      expect(t.metadata.annotations?.[RABBITMQ_PARALLELISM]).toMatch(/^[1-9]\d*$/);
      expect(Object.keys(t.metadata.annotations ?? {})).not.toContain(RABBITMQ_PREFETCH_COUNT);
    }
    // Without helm: same documents, except the labels that say who manages them.
    const plain = parseManifests(renderKnativeYaml(join(functionsDir, name), { namespace: NS }));
    expect(withoutManagerLabels(plain)).toEqual(withoutManagerLabels(manifests));
  });
});

describe('options', () => {
  it('defaults: minScale 1, restrictive security context, probes, cluster-local, no Secret', async () => {
    const r = await template(minimal);
    expect(r.code, r.stderr).toBe(0);
    const { service } = assertFunctionDeployment(r.manifests, {
      name: 'demo',
      namespace: NS,
      triggerTypes: ['com.vmware.vsphere.VmPoweredOnEvent.v0'],
    });
    expect(service.spec?.template.metadata.annotations['autoscaling.knative.dev/min-scale']).toBe(
      '1',
    );
    expect(service.metadata.labels?.['networking.knative.dev/visibility']).toBe('cluster-local');
    expect(byKind(r.manifests, 'Secret')).toEqual([]);
    const env = containerOf(service).env;
    expect(env).toContainEqual({ name: 'FUNCTION_TIMEOUT_SECONDS', value: '55' });
  });

  it('ordering: one replica, one request at a time, whatever scale and concurrency say', async () => {
    const r = await template({
      ...minimal,
      ordering: { enabled: true },
      maxScale: 5,
      containerConcurrency: 20,
    });
    expect(r.code, r.stderr).toBe(0);
    const service = byKind(r.manifests, 'Service')[0]!;
    const revision = service.spec!.template;
    expect(revision.spec.containerConcurrency).toBe(1);
    expect(revision.metadata.annotations['autoscaling.knative.dev/max-scale']).toBe('1');
    expect(revision.metadata.annotations['autoscaling.knative.dev/min-scale']).toBe('1');
  });

  it('secret.create writes one JSON key and projects it into that variable', async () => {
    const r = await template({
      ...minimal,
      secret: { create: true, variable: 'TAG_SECRET', data: { VCENTER_SERVER: 'vc.local' } },
    });
    expect(r.code, r.stderr).toBe(0);
    const [secret] = byKind(r.manifests, 'Secret');
    expect(secret?.stringData).toEqual({ TAG_SECRET: '{"VCENTER_SERVER":"vc.local"}' });
    const env = containerOf(byKind(r.manifests, 'Service')[0]!).env;
    expect(env).toContainEqual({
      name: 'TAG_SECRET',
      valueFrom: { secretKeyRef: { name: 'demo-secret', key: 'TAG_SECRET' } },
    });
  });

  it('a trigger delivery overrides the defaults key by key; digest wins over tag', async () => {
    const r = await template({
      image: { tag: 'v1', digest: `sha256:${'a'.repeat(64)}` },
      triggers: [
        {
          ...minimal.triggers[0],
          delivery: { retry: 1, deadLetterSink: { uri: 'http://dls.default.svc' } },
        },
      ],
    });
    expect(r.code, r.stderr).toBe(0);
    expect(byKind(r.manifests, 'Trigger')[0]!.spec?.delivery).toEqual({
      retry: 1,
      backoffPolicy: 'exponential',
      backoffDelay: 'PT1S',
      deadLetterSink: { uri: 'http://dls.default.svc' },
    });
    expect(containerOf(byKind(r.manifests, 'Service')[0]!).image).toBe(
      `ghcr.io/veba-functions/veba-functions/demo@sha256:${'a'.repeat(64)}`,
    );
  });
});

// Which annotation each broker class gets, for ordering on and off and a parallelism override,
// through helm and through veba-fn render. On RabbitMQ the annotation is always written: without
// it the broker runs one worker per Trigger (PARALLELISM defaults to "1" in dispatcher.go).
describe('broker delivery annotations (helm and veba-fn render alike)', () => {
  const cases: {
    label: string;
    values: Record<string, unknown>;
    annotations: Record<string, string>;
    broker?: string;
    concurrency?: number;
  }[] = [
    {
      label: 'rabbitmq (default), unordered: parallelism = containerConcurrency',
      values: {},
      annotations: { [RABBITMQ_PARALLELISM]: '10' },
      concurrency: 10,
    },
    {
      label: 'rabbitmq, unordered, containerConcurrency 0 (unlimited): 100, the prefetch ceiling',
      values: { containerConcurrency: 0 },
      annotations: { [RABBITMQ_PARALLELISM]: '100' },
      concurrency: 0,
    },
    {
      label: 'rabbitmq, unordered, containerConcurrency 250: capped at 100',
      values: { containerConcurrency: 250 },
      annotations: { [RABBITMQ_PARALLELISM]: '100' },
      concurrency: 250,
    },
    {
      label: 'rabbitmq, unordered, broker.parallelism 7 overrides',
      values: { broker: { name: 'default', class: 'rabbitmq', parallelism: 7 } },
      annotations: { [RABBITMQ_PARALLELISM]: '7' },
      concurrency: 10,
    },
    {
      label: 'rabbitmq, ordered: parallelism 1, containerConcurrency 1',
      values: { ordering: { enabled: true } },
      annotations: { [RABBITMQ_PARALLELISM]: '1' },
      concurrency: 1,
    },
    {
      label: 'rabbitmq, ordered, broker.parallelism 1 agrees',
      values: {
        ordering: { enabled: true },
        broker: { name: 'default', class: 'rabbitmq', parallelism: 1 },
      },
      annotations: { [RABBITMQ_PARALLELISM]: '1' },
      concurrency: 1,
    },
    {
      label: 'kafka, unordered: delivery.order unordered, no rabbitmq annotation',
      values: { broker: { name: 'default', class: 'kafka' } },
      annotations: { [KAFKA_DELIVERY_ORDER]: 'unordered' },
      concurrency: 10,
    },
    {
      label: 'kafka, ordered: delivery.order ordered, no rabbitmq annotation',
      values: { broker: { name: 'default', class: 'kafka' }, ordering: { enabled: true } },
      annotations: { [KAFKA_DELIVERY_ORDER]: 'ordered' },
      concurrency: 1,
    },
    {
      label: 'the older string form: broker name, rabbitmq',
      values: { broker: 'events' },
      annotations: { [RABBITMQ_PARALLELISM]: '10' },
      broker: 'events',
      concurrency: 10,
    },
    {
      label: 'the older string form, ordered',
      values: { broker: 'events', ordering: { enabled: true } },
      annotations: { [RABBITMQ_PARALLELISM]: '1' },
      broker: 'events',
      concurrency: 1,
    },
  ];

  it.each(cases)('$label', async ({ values, annotations, broker, concurrency }) => {
    const { helm: viaHelm, plain } = await renderBoth({ ...values, ...twoTriggers }, 'annotated');
    if (!viaHelm.ok) throw new Error(viaHelm.error);
    if (!plain.ok) throw new Error(plain.error);
    const triggers = byKind(viaHelm.manifests, 'Trigger');
    expect(triggers).toHaveLength(2);
    for (const t of triggers) {
      // Exactly these: the other class's annotation is absent, and so is prefetchCount.
      expect(t.metadata.annotations).toEqual({ ...annotations, 'example.com/kept': 'yes' });
      expect(t.spec!.broker).toBe(broker ?? 'default');
    }
    const service = byKind(viaHelm.manifests, 'Service')[0]!;
    expect(service.spec!.template.spec.containerConcurrency).toBe(concurrency);
  });

  const refusals: [string, Record<string, unknown>, RegExp][] = [
    [
      'broker.parallelism with class kafka',
      { broker: { name: 'default', class: 'kafka', parallelism: 7 } },
      /broker\.parallelism: applies to the RabbitMQ broker only/,
    ],
    [
      'broker.parallelism above 1 with ordering',
      {
        broker: { name: 'default', class: 'rabbitmq', parallelism: 7 },
        ordering: { enabled: true },
      },
      /broker\.parallelism: 7 contradicts ordering\.enabled/,
    ],
    ['an unknown broker class', { broker: { name: 'default', class: 'nats' } }, /class/],
    [
      'broker.parallelism above the webhook bound of 1000',
      { broker: { name: 'default', class: 'rabbitmq', parallelism: 1001 } },
      /parallelism/,
    ],
    [
      'the obsolete prefetchCount on a trigger',
      {
        triggers: [{ ...twoTriggers.triggers[0], annotations: { [RABBITMQ_PREFETCH_COUNT]: '1' } }],
      },
      /triggers\[0\]\.annotations: rabbitmq\.eventing\.knative\.dev\/prefetchCount is not read .* use broker\.parallelism/,
    ],
    [
      "a trigger's own parallelism annotation",
      { triggers: [{ ...twoTriggers.triggers[0], annotations: { [RABBITMQ_PARALLELISM]: '5' } }] },
      /triggers\[0\]\.annotations: rabbitmq\.eventing\.knative\.dev\/parallelism is set by the chart/,
    ],
    [
      "a trigger's own delivery.order annotation",
      {
        triggers: [
          { ...twoTriggers.triggers[0], annotations: { [KAFKA_DELIVERY_ORDER]: 'ordered' } },
        ],
      },
      /triggers\[0\]\.annotations: kafka\.eventing\.knative\.dev\/delivery\.order is set by the chart/,
    ],
  ];
  it.each(refusals)('refuses %s, in both', async (_label, values, message) => {
    const { helm: viaHelm, plain } = await renderBoth({ ...twoTriggers, ...values }, 'refused');
    expect(viaHelm.ok).toBe(false);
    expect(plain.ok).toBe(false);
    if (!viaHelm.ok) expect(viaHelm.error).toMatch(message);
    if (!plain.ok) expect(plain.error).toMatch(message);
  });
});

describe('trigger names', () => {
  const long = (suffix: string) => ({
    name: `powered-on-through-a-drs-cluster-${suffix}`,
    filter: { attributes: { type: `com.vmware.vsphere.${suffix}.v0` } },
  });

  it('stay distinct when cut at 63 characters (hash suffix), and veba-fn render agrees', async () => {
    const release = 'a-function-with-a-rather-long-name';
    const { helm: viaHelm } = await renderBoth(
      {
        triggers: [
          long('first'),
          long('second'),
          { name: 'short', filter: { attributes: { type: 't' } } },
        ],
      },
      release,
    );
    if (!viaHelm.ok) throw new Error(viaHelm.error);
    const names = byKind(viaHelm.manifests, 'Trigger').map((t) => t.metadata.name);
    expect(new Set(names).size).toBe(3);
    for (const n of names) {
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    }
    // Short names are left as they were; long ones keep their first 54 characters (less a
    // trailing dash) and get a dash and the first 8 hex of the full name's sha256.
    expect(names).toContain(`${release}-short`);
    for (const suffix of ['first', 'second']) {
      const full = `${release}-${long(suffix).name}`;
      expect(full.length).toBeGreaterThan(63);
      const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
      expect(names).toContain(`${full.slice(0, 54).replace(/-$/, '')}-${hash}`);
    }
  });

  it('refuses a repeated trigger name, in both', async () => {
    const { helm: viaHelm, plain } = await renderBoth(
      {
        triggers: [
          {
            name: 'powered-on',
            filter: { attributes: { type: 'com.vmware.vsphere.VmPoweredOnEvent.v0' } },
          },
          {
            name: 'powered-on',
            filter: { attributes: { type: 'com.vmware.vsphere.DrsVmPoweredOnEvent.v0' } },
          },
        ],
      },
      'repeated',
    );
    const message = /triggers\[1\]\.name: "powered-on" repeats triggers\[0\]\.name/;
    expect(viaHelm.ok).toBe(false);
    expect(plain.ok).toBe(false);
    if (!viaHelm.ok) expect(viaHelm.error).toMatch(message);
    if (!plain.ok) expect(plain.error).toMatch(message);
  });
});

describe('NOTES.txt', () => {
  it('names the Service, the trigger types and the Secrets that must exist', async () => {
    const values = join(chart, 'examples', 'vm-tag-on-power-on.values.yaml');
    const r = await helm([
      'install',
      'tagger',
      chart,
      '--namespace',
      NS,
      '--dry-run=client',
      '-f',
      values,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
    expect(notes).toContain(`kubectl -n ${NS} get ksvc tagger`);
    expect(notes).toContain('tagger-vm-powered-on: type=com.vmware.vsphere.VmPoweredOnEvent.v0');
    expect(notes).toContain('tag-secret (key TAG_SECRET -> $TAG_SECRET)');
    expect(notes).toContain('Triggers on broker default (rabbitmq):');
    expect(notes).toContain(
      `each Trigger sends up to 10 event(s) at once (${RABBITMQ_PARALLELISM})`,
    );
  });

  it('says what ordering gives on Kafka: per partition, and not per VM', async () => {
    const file = join(scratch, 'kafka-ordered.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        ...minimal,
        broker: { name: 'default', class: 'kafka' },
        ordering: { enabled: true },
      }),
    );
    const r = await helm([
      'install',
      'k',
      chart,
      '--namespace',
      NS,
      '--dry-run=client',
      '-f',
      file,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
    expect(notes).toContain(`${KAFKA_DELIVERY_ORDER} ordered`);
    expect(notes).toContain("one VM's events spread over partitions");
  });
});

describe('schema rejects bad values', () => {
  const cases: [string, unknown, RegExp][] = [
    ['minScale "abc"', { ...minimal, minScale: 'abc' }, /minScale/],
    ['a trigger without filter', { triggers: [{ name: 'x' }] }, /filter/],
    [
      'a trigger filtering without type',
      { triggers: [{ name: 'x', filter: { attributes: { subject: 'VmPoweredOnEvent' } } }] },
      /type/,
    ],
    [
      'a root-allowed security context',
      { ...minimal, securityContext: { runAsNonRoot: false } },
      /runAsNonRoot/,
    ],
    [
      'PORT in env (Knative owns it)',
      { ...minimal, env: { PORT: '9000' } },
      /env\.PORT: Knative sets PORT/,
    ],
    [
      'an unknown backoff policy',
      { ...minimal, delivery: { backoffPolicy: 'random' } },
      /backoffPolicy/,
    ],
    [
      'securityContext.privileged, even false (Knative before 1.17 refuses the field)',
      { ...minimal, securityContext: { privileged: false } },
      /additional properties 'privileged' not allowed/,
    ],
    ['a misspelt top-level key', { ...minimal, minscale: 1 }, /minscale/],
    ['secret.create without variable', { ...minimal, secret: { create: true } }, /variable/],
  ];
  it.each(cases)('%s', async (_label, values, message) => {
    const r = await template(values);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
