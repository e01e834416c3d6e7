// Shared checks for rendered function manifests, used on helm's output and on `veba-fn render`.
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';

export interface Container {
  name: string;
  image: string;
  ports: unknown[];
  env: { name: string; value?: unknown; valueFrom?: unknown }[];
  livenessProbe: { httpGet: { path: string; port?: unknown } };
  readinessProbe: { httpGet: { path: string; port?: unknown } };
  securityContext: unknown;
}
export interface Delivery {
  retry?: number;
  backoffPolicy?: string;
  backoffDelay?: string;
  deadLetterSink?: unknown;
}
/** The fields of a Service, Trigger or Secret that the tests read. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: {
    template: {
      metadata: { annotations: Record<string, string> };
      spec: { containerConcurrency: number; timeoutSeconds: number; containers: Container[] };
    };
    broker?: string;
    filter: { attributes: Record<string, string> };
    subscriber?: unknown;
    delivery?: Delivery;
  };
  stringData?: Record<string, string>;
}

/** The one container of a Knative Service. */
export function containerOf(service: Manifest): Container {
  const container = service.spec?.template.spec.containers[0];
  if (!container) throw new Error(`${service.metadata.name}: no container`);
  return container;
}

/** Parses a multi-document YAML stream; fails on any YAML error, drops empty documents. */
export function parseManifests(text: string): Manifest[] {
  const docs = parseAllDocuments(text);
  const out: Manifest[] = [];
  for (const doc of docs) {
    expect(doc.errors, String(doc.errors[0]?.message)).toEqual([]);
    const value = doc.toJS() as Manifest | null;
    if (value) out.push(value);
  }
  return out;
}

export const byKind = (manifests: Manifest[], kind: string): Manifest[] =>
  manifests.filter((m) => m.kind === kind);

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Asserts that manifests are a working deployment of one function: exactly one Knative Service,
 * one Trigger per expected trigger, each filtering by type and subscribing to that Service.
 */
export function assertFunctionDeployment(
  manifests: Manifest[],
  expected: { name: string; triggerTypes: string[]; namespace?: string },
): { service: Manifest; triggers: Manifest[] } {
  for (const m of manifests) {
    expect([
      'v1/Secret',
      'serving.knative.dev/v1/Service',
      'eventing.knative.dev/v1/Trigger',
    ]).toContain(`${m.apiVersion}/${m.kind}`);
    expect(m.metadata.name).toMatch(DNS_LABEL);
    expect(m.metadata.name.length).toBeLessThanOrEqual(63);
    if (expected.namespace) expect(m.metadata.namespace).toBe(expected.namespace);
  }
  const services = byKind(manifests, 'Service');
  expect(services).toHaveLength(1);
  const service = services[0]!;
  expect(service.apiVersion).toBe('serving.knative.dev/v1');
  expect(service.metadata.name).toBe(expected.name);

  const template = service.spec!.template;
  const annotations = template.metadata.annotations;
  expect(annotations['autoscaling.knative.dev/min-scale']).toMatch(/^\d+$/);
  expect(annotations['autoscaling.knative.dev/max-scale']).toMatch(/^\d+$/);
  const podSpec = template.spec;
  expect(Number.isInteger(podSpec.containerConcurrency)).toBe(true);
  expect(Number.isInteger(podSpec.timeoutSeconds)).toBe(true);
  expect(podSpec.containers).toHaveLength(1);
  const container = containerOf(service);
  expect(container.image).toMatch(/^[a-z0-9.\-/:]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/);
  expect(container.ports).toEqual([{ name: 'http1', containerPort: 8080 }]);
  // Knative sets PORT; a container may not.
  expect(container.env.map((e) => e.name)).not.toContain('PORT');
  for (const e of container.env) {
    if ('value' in e) expect(typeof e.value).toBe('string');
  }
  expect(container.livenessProbe.httpGet.path).toBe('/health/liveness');
  expect(container.readinessProbe.httpGet.path).toBe('/health/readiness');
  expect(container.livenessProbe.httpGet.port).toBeUndefined();
  expect(container.securityContext).toMatchObject({
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });

  const triggers = byKind(manifests, 'Trigger');
  expect(triggers.map((t) => t.spec!.filter.attributes['type']).sort()).toEqual(
    [...expected.triggerTypes].sort(),
  );
  for (const t of triggers) {
    expect(t.apiVersion).toBe('eventing.knative.dev/v1');
    expect(t.spec!.broker).toEqual(expect.any(String));
    // v0.8 events carry no subject: a subject filter would silently match nothing.
    expect(Object.keys(t.spec!.filter.attributes)).not.toContain('subject');
    expect(t.spec!.subscriber).toEqual({
      ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: expected.name },
    });
    const delivery = t.spec!.delivery;
    if (delivery) {
      if (delivery.backoffPolicy !== undefined)
        expect(['linear', 'exponential']).toContain(delivery.backoffPolicy);
      if (delivery.backoffDelay !== undefined) expect(delivery.backoffDelay).toMatch(/^P/);
      if (delivery.retry !== undefined) expect(Number.isInteger(delivery.retry)).toBe(true);
    }
  }
  return { service, triggers };
}
