import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { RenderError, renderKnativeYaml } from '../src/render/index.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');
const chartDir = join(repoRoot, 'charts', 'veba-function');

interface Container {
  image: string;
  env: unknown[];
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  securityContext: unknown;
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: {
    template: {
      metadata: { annotations: Record<string, string> };
      spec: { containerConcurrency: number; containers: Container[] };
    };
    broker?: string;
    subscriber?: unknown;
    delivery?: unknown;
  };
  stringData?: Record<string, string>;
}

function docs(yaml: string): Doc[] {
  return parseAllDocuments(yaml).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Doc;
  });
}

let scratch: string;
/** A function folder holding only values.yaml, rendered against the real chart. */
function fn(name: string, values: string): string {
  const dir = join(scratch, 'functions', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'values.yaml'), values);
  return dir;
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'veba-render-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const TWO_TRIGGERS = `
triggers:
  - name: drs-vm-powered-on
    filter: { attributes: { type: com.vmware.vsphere.DrsVmPoweredOnEvent.v0 } }
  - name: vm-powered-on
    filter: { attributes: { type: com.vmware.vsphere.VmPoweredOnEvent.v0 } }
`;

describe('renderKnativeYaml', () => {
  it("gives VEBA's function.yaml shape: a Knative Service and one Trigger per type", () => {
    const out = docs(
      renderKnativeYaml(
        fn('tagger', `secretEnv: [{ name: TAG_SECRET, secretName: tag-secret }]\n${TWO_TRIGGERS}`),
        { chartDir },
      ),
    );
    expect(out.map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.name}`)).toEqual([
      'serving.knative.dev/v1 Service tagger',
      'eventing.knative.dev/v1 Trigger tagger-drs-vm-powered-on',
      'eventing.knative.dev/v1 Trigger tagger-vm-powered-on',
    ]);
    const [service, ...triggers] = out;
    expect(service!.metadata.namespace).toBe('vmware-functions');
    expect(service!.metadata.labels['app.kubernetes.io/managed-by']).toBe('veba-fn');
    const revision = service!.spec!.template;
    expect(revision.metadata.annotations).toMatchObject({
      'autoscaling.knative.dev/min-scale': '1',
    });
    const container = revision.spec.containers[0]!;
    expect(container.image).toBe('ghcr.io/veba-functions/veba-functions/tagger:0.1.0');
    expect(container.livenessProbe.httpGet.path).toBe('/health/liveness');
    expect(container.readinessProbe.httpGet.path).toBe('/health/readiness');
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.env).toContainEqual({
      name: 'TAG_SECRET',
      valueFrom: { secretKeyRef: { name: 'tag-secret', key: 'TAG_SECRET' } },
    });
    for (const t of triggers) {
      expect(t.spec!.broker).toBe('default');
      expect(t.spec!.subscriber).toEqual({
        ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'tagger' },
      });
      expect(t.spec!.delivery).toEqual({
        retry: 5,
        backoffPolicy: 'exponential',
        backoffDelay: 'PT1S',
      });
    }
  });

  it('applies ordering on RabbitMQ: parallelism 1, one replica, containerConcurrency 1', () => {
    const out = docs(
      renderKnativeYaml(
        fn('ordered', `ordering: { enabled: true }\nmaxScale: 4\n${TWO_TRIGGERS}`),
        { chartDir },
      ),
    );
    const revision = out[0]!.spec!.template;
    expect(revision.spec.containerConcurrency).toBe(1);
    expect(revision.metadata.annotations['autoscaling.knative.dev/max-scale']).toBe('1');
    for (const t of out.slice(1))
      expect(t.metadata.annotations).toEqual({
        'rabbitmq.eventing.knative.dev/parallelism': '1',
      });
  });

  it('lets a burst through on RabbitMQ: parallelism follows containerConcurrency, or broker.parallelism', () => {
    const dir = fn('parallel', `containerConcurrency: 25\n${TWO_TRIGGERS}`);
    const byDefault = docs(renderKnativeYaml(dir, { chartDir }));
    for (const t of byDefault.slice(1))
      expect(t.metadata.annotations).toEqual({
        'rabbitmq.eventing.knative.dev/parallelism': '25',
      });
    const overridden = docs(
      renderKnativeYaml(dir, { chartDir, values: { broker: { parallelism: 4 } } }),
    );
    for (const t of overridden.slice(1))
      expect(t.metadata.annotations).toEqual({
        'rabbitmq.eventing.knative.dev/parallelism': '4',
      });
  });

  it('writes the Kafka delivery order instead on a Kafka broker', () => {
    const dir = fn('on-kafka', `broker: { name: events, class: kafka }\n${TWO_TRIGGERS}`);
    for (const [ordering, order] of [
      [false, 'unordered'],
      [true, 'ordered'],
    ] as const) {
      const out = docs(
        renderKnativeYaml(dir, { chartDir, values: { ordering: { enabled: ordering } } }),
      );
      for (const t of out.slice(1)) {
        expect(t.metadata.annotations).toEqual({
          'kafka.eventing.knative.dev/delivery.order': order,
        });
        expect(t.spec!.broker).toBe('events');
      }
    }
  });

  it("reads the older string form of broker, and a later map replaces it as helm's --set does", () => {
    const dir = fn('legacy-broker', `broker: events\n${TWO_TRIGGERS}`);
    const legacy = docs(renderKnativeYaml(dir, { chartDir }));
    expect(legacy.slice(1).map((t) => t.spec!.broker)).toEqual(['events', 'events']);
    const replaced = docs(
      renderKnativeYaml(dir, { chartDir, values: { broker: { parallelism: 3 } } }),
    );
    // helm: the map replaces the string, then the chart's defaults fill in name and class.
    expect(replaced.slice(1).map((t) => t.spec!.broker)).toEqual(['default', 'default']);
    expect(replaced[1]!.metadata.annotations).toEqual({
      'rabbitmq.eventing.knative.dev/parallelism': '3',
    });
  });

  it('takes overrides last, like helm --set, and writes a Secret only on request', () => {
    const dir = fn(
      'secretive',
      `secret: { create: true, variable: VC_CREDS, data: { VCENTER_SERVER: vc.local } }\n${TWO_TRIGGERS}`,
    );
    const out = docs(
      renderKnativeYaml(dir, {
        chartDir,
        namespace: 'fns',
        values: { image: { tag: 'sha-1234567' } },
      }),
    );
    expect(out[0]).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      stringData: { VC_CREDS: '{"VCENTER_SERVER":"vc.local"}' },
    });
    expect(out.every((d) => d.metadata.namespace === 'fns')).toBe(true);
    expect(out[1]!.spec!.template.spec.containers[0]!.image).toMatch(/:sha-1234567$/);
  });

  it('renders the echo function of this repository', () => {
    const out = docs(renderKnativeYaml(join(repoRoot, 'functions', 'echo')));
    expect(out.filter((d) => d.kind === 'Service').map((d) => d.metadata.name)).toEqual(['echo']);
    expect(out.filter((d) => d.kind === 'Trigger').length).toBeGreaterThan(0);
  });

  it.each([
    ['minScale: abc', /minScale/],
    ['triggers: [{ name: x }]', /triggers\[0\]\.filter/],
    ['triggers: [{ name: x, filter: { attributes: { subject: VmPoweredOnEvent } } }]', /type/],
    ['env: { PORT: "1" }\ntriggers: []', /PORT/],
    ['securityContext: { runAsNonRoot: false }\ntriggers: []', /securityContext/],
    ['triggers: [oops', /not valid YAML/],
    [
      'securityContext: { privileged: false }\ntriggers: []',
      /securityContext\.privileged: Knative Serving before 1\.17/,
    ],
    [
      'broker: { name: default, class: kafka, parallelism: 5 }\ntriggers: []',
      /RabbitMQ broker only/,
    ],
    [
      'broker: { name: default, class: rabbitmq, parallelism: 5 }\nordering: { enabled: true }\ntriggers: []',
      /contradicts ordering/,
    ],
    [
      'broker: { name: default, class: sqs }\ntriggers: []',
      /broker\.class: expected rabbitmq or kafka/,
    ],
    [
      'triggers: [{ name: a, filter: { attributes: { type: t } }, annotations: { rabbitmq.eventing.knative.dev/prefetchCount: "1" } }]',
      /prefetchCount is not read/,
    ],
    [
      'triggers: [{ name: a, filter: { attributes: { type: t } } }, { name: a, filter: { attributes: { type: u } } }]',
      /triggers\[1\]\.name: "a" repeats triggers\[0\]\.name/,
    ],
  ])('rejects %j with a RenderError naming the problem', (values, message) => {
    const dir = fn(`bad-${Math.random().toString(36).slice(2, 8)}`, values);
    expect(() => renderKnativeYaml(dir, { chartDir })).toThrow(RenderError);
    expect(() => renderKnativeYaml(dir, { chartDir })).toThrow(message);
  });

  it('rejects an image digest that is not sha256', () => {
    const dir = fn('digest', TWO_TRIGGERS);
    expect(() =>
      renderKnativeYaml(dir, { chartDir, values: { image: { digest: 'latest' } } }),
    ).toThrow(/image\.digest/);
    const ok = docs(
      renderKnativeYaml(dir, {
        chartDir,
        values: { image: { digest: `sha256:${'b'.repeat(64)}` } },
      }),
    );
    expect(ok[0]!.spec!.template.spec.containers[0]!.image).toBe(
      `ghcr.io/veba-functions/veba-functions/digest@sha256:${'b'.repeat(64)}`,
    );
  });

  it('names the missing values file', () => {
    const dir = join(scratch, 'functions', 'empty');
    mkdirSync(dir, { recursive: true });
    expect(() => renderKnativeYaml(dir, { chartDir })).toThrow(/values\.yaml: no such values file/);
  });
});
