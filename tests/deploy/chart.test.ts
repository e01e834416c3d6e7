// The chart, rendered by the real helm: lint, every function's values, the options, the schema.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    // Without helm: same documents, except the labels that say who manages them.
    const plain = parseManifests(renderKnativeYaml(join(functionsDir, name), { namespace: NS }));
    const strip = (ms: Manifest[]) =>
      ms
        .map((m) => {
          const labels = { ...m.metadata.labels };
          delete labels['helm.sh/chart'];
          delete labels['app.kubernetes.io/managed-by'];
          return { ...m, metadata: { ...m.metadata, labels } };
        })
        .sort((a, b) =>
          `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`),
        );
    expect(strip(plain)).toEqual(strip(manifests));
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

  it('ordering: prefetchCount 1 on every Trigger, one replica, one request at a time', async () => {
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
    for (const t of byKind(r.manifests, 'Trigger')) {
      expect(t.metadata.annotations?.['rabbitmq.eventing.knative.dev/prefetchCount']).toBe('1');
    }
    const unordered = await template(minimal);
    expect(byKind(unordered.manifests, 'Trigger')[0]!.metadata.annotations).toBeUndefined();
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
    ['a misspelt top-level key', { ...minimal, minscale: 1 }, /minscale/],
    ['secret.create without variable', { ...minimal, secret: { create: true } }, /variable/],
  ];
  it.each(cases)('%s', async (_label, values, message) => {
    const r = await template(values);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });
});
