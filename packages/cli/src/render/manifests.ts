import { createHash } from 'node:crypto';
import { brokerSettings, deliveryAnnotations, orderingEnabled } from './broker.js';
import { RenderError } from './errors.js';
import { isRecord, type Values } from './values-tree.js';

/** What the chart gets from Helm that plain rendering supplies itself. */
export interface ManifestContext {
  /** The release name in Helm terms: the function's folder name unless overridden. */
  releaseName: string;
  namespace: string;
  /** Chart.yaml's appVersion: the image tag when none is set. */
  appVersion: string;
  /** `app.kubernetes.io/managed-by`; Helm writes `Helm`. */
  managedBy: string;
}

type Manifest = Record<string, unknown>;

// sprig's `trunc 63 | trimSuffix "-"`: cut, then drop one trailing dash.
function dnsName(name: string): string {
  const cut = name.slice(0, 63);
  return cut.endsWith('-') ? cut.slice(0, -1) : cut;
}

// Scalars as Helm's toString prints them; maps and lists never reach a string field here.
function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

function record(value: unknown): Values {
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * The chart's `veba-function.triggerName`: `<fullname>-<trigger>`, and past 63 characters the
 * first 54 (less a trailing dash), `-` and 8 hex of the full name's sha256, so two long names
 * that share a prefix do not collapse into one Trigger.
 */
export function triggerName(fullname: string, trigger: string): string {
  const full = `${fullname}-${trigger}`;
  if (full.length <= 63) return full;
  let head = full.slice(0, 54);
  if (head.endsWith('-')) head = head.slice(0, -1);
  return `${head}-${createHash('sha256').update(full).digest('hex').slice(0, 8)}`;
}

function nonEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

export function functionName(values: Values, ctx: ManifestContext): string {
  return dnsName(str(values['functionName']) || ctx.releaseName);
}

function fullname(values: Values, ctx: ManifestContext): string {
  return dnsName(str(values['fullnameOverride']) || functionName(values, ctx));
}

function selectorLabels(values: Values, ctx: ManifestContext): Record<string, string> {
  return {
    'app.kubernetes.io/name': functionName(values, ctx),
    'app.kubernetes.io/instance': ctx.releaseName,
  };
}

function labels(values: Values, ctx: ManifestContext): Record<string, string> {
  return {
    ...selectorLabels(values, ctx),
    'app.kubernetes.io/component': 'function',
    'app.kubernetes.io/part-of': 'veba-functions',
    'app.kubernetes.io/version': ctx.appVersion,
    'app.kubernetes.io/managed-by': ctx.managedBy,
    ...(values['vebaUiLabel'] ? { app: 'veba-ui' } : {}),
    ...(record(values['labels']) as Record<string, string>),
  };
}

/** The image reference the chart's `veba-function.image` helper builds. */
export function imageRef(values: Values, ctx: ManifestContext): string {
  const image = record(values['image']);
  const registry = str(image['registry']).replace(/\/$/, '');
  const repository = str(image['repository']) || `${registry}/${functionName(values, ctx)}`;
  if (str(image['digest'])) return `${repository}@${str(image['digest'])}`;
  return `${repository}:${str(image['tag']) || ctx.appVersion}`;
}

function probe(value: unknown): Manifest {
  const p = record(value);
  const out: Manifest = { httpGet: { path: p['path'] } };
  for (const key of [
    'initialDelaySeconds',
    'periodSeconds',
    'timeoutSeconds',
    'failureThreshold',
    'successThreshold',
  ]) {
    if (key in p) out[key] = p[key];
  }
  return out;
}

function env(values: Values, ctx: ManifestContext): Manifest[] {
  const plain = record(values['env']);
  const out: Manifest[] = [];
  if (!('FUNCTION_TIMEOUT_SECONDS' in plain)) {
    // The handler's deadline ends before Knative's request timeout, so the function answers 503.
    out.push({
      name: 'FUNCTION_TIMEOUT_SECONDS',
      value: String(Math.max(1, Number(values['timeoutSeconds']) - 5)),
    });
  }
  // Go templates range over a map in sorted key order.
  for (const name of Object.keys(plain).sort()) out.push({ name, value: str(plain[name]) });
  for (const item of list(values['secretEnv'])) {
    const entry = record(item);
    const ref: Manifest = { name: entry['secretName'], key: str(entry['key']) || entry['name'] };
    if ('optional' in entry) ref['optional'] = entry['optional'];
    out.push({ name: entry['name'], valueFrom: { secretKeyRef: ref } });
  }
  const secret = record(values['secret']);
  if (secret['create'] === true) {
    out.push({
      name: secret['variable'],
      valueFrom: { secretKeyRef: { name: secretName(values, ctx), key: secret['variable'] } },
    });
  }
  return out;
}

function secretName(values: Values, ctx: ManifestContext): string {
  return str(record(values['secret'])['name']) || `${fullname(values, ctx)}-secret`;
}

function service(values: Values, ctx: ManifestContext): Manifest {
  const ordered = orderingEnabled(values);
  const serviceLabels: Record<string, string> = labels(values, ctx);
  if (values['clusterLocal']) serviceLabels['networking.knative.dev/visibility'] = 'cluster-local';
  const metadata: Manifest = {
    name: fullname(values, ctx),
    namespace: ctx.namespace,
    labels: serviceLabels,
  };
  if (nonEmpty(values['annotations'])) metadata['annotations'] = values['annotations'];

  const container: Manifest = {
    name: 'function',
    image: imageRef(values, ctx),
    imagePullPolicy: record(values['image'])['pullPolicy'],
    ports: [{ name: 'http1', containerPort: 8080 }],
    env: env(values, ctx),
  };
  if (nonEmpty(values['envFrom'])) container['envFrom'] = values['envFrom'];
  if (nonEmpty(values['resources'])) container['resources'] = values['resources'];
  const probes = record(values['probes']);
  container['livenessProbe'] = probe(probes['liveness']);
  container['readinessProbe'] = probe(probes['readiness']);
  container['securityContext'] = values['securityContext'];

  const podSpec: Manifest = {
    containerConcurrency: ordered ? 1 : values['containerConcurrency'],
    timeoutSeconds: values['timeoutSeconds'],
  };
  if (str(values['serviceAccountName']))
    podSpec['serviceAccountName'] = values['serviceAccountName'];
  if (nonEmpty(values['imagePullSecrets']))
    podSpec['imagePullSecrets'] = values['imagePullSecrets'];
  podSpec['containers'] = [container];

  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata,
    spec: {
      template: {
        metadata: {
          labels: selectorLabels(values, ctx),
          annotations: {
            'autoscaling.knative.dev/min-scale': ordered ? '1' : str(values['minScale']),
            'autoscaling.knative.dev/max-scale': ordered ? '1' : str(values['maxScale']),
            ...(record(values['podAnnotations']) as Record<string, string>),
          },
        },
        spec: podSpec,
      },
    },
  };
}

function triggers(values: Values, ctx: ManifestContext): Manifest[] {
  const name = fullname(values, ctx);
  const defaults = record(values['delivery']);
  const broker = brokerSettings(values, 'values');
  const rendered = new Map<string, number>();
  return list(values['triggers']).map((item, i) => {
    const trigger = record(item);
    const delivery: Values = { ...defaults, ...record(trigger['delivery']) };
    if (!nonEmpty(delivery['deadLetterSink'])) delete delivery['deadLetterSink'];
    const triggerMetadataName = triggerName(name, str(trigger['name']));
    const first = rendered.get(triggerMetadataName);
    if (first !== undefined) {
      throw new RenderError(
        `triggers[${i}]: renders the Trigger name ${triggerMetadataName}, as triggers[${first}] does; rename one`,
      );
    }
    rendered.set(triggerMetadataName, i);
    const metadata: Manifest = {
      name: triggerMetadataName,
      namespace: ctx.namespace,
      labels: labels(values, ctx),
      // Go templates' toYaml writes map keys sorted; so does this, for the same documents.
      annotations: sortedKeys({
        ...(record(trigger['annotations']) as Record<string, string>),
        ...deliveryAnnotations(values, broker),
      }),
    };
    const spec: Manifest = {
      broker: str(trigger['broker']) || broker.name,
      filter: { attributes: record(record(trigger['filter'])['attributes']) },
      subscriber: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name } },
    };
    if (nonEmpty(delivery)) spec['delivery'] = delivery;
    return { apiVersion: 'eventing.knative.dev/v1', kind: 'Trigger', metadata, spec };
  });
}

function sortedKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function secret(values: Values, ctx: ManifestContext): Manifest[] {
  const s = record(values['secret']);
  if (s['create'] !== true) return [];
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secretName(values, ctx),
        namespace: ctx.namespace,
        labels: labels(values, ctx),
      },
      type: 'Opaque',
      stringData: { [str(s['variable'])]: JSON.stringify(record(s['data'])) },
    },
  ];
}

/** The chart's resources for merged values, in the order Helm installs them. */
export function buildManifests(values: Values, ctx: ManifestContext): Manifest[] {
  return [...secret(values, ctx), service(values, ctx), ...triggers(values, ctx)];
}
