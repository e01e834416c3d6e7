import { basename, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { buildManifests } from './manifests.js';
import { RenderError } from './errors.js';
import {
  checkValues,
  mergeUserValues,
  mergeValues,
  readValuesFile,
  type Values,
} from './values.js';

const scalar = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : '';

export { RenderError } from './errors.js';
export { mergeValues } from './values.js';

/** Options of {@link renderKnativeYaml}. */
export interface RenderOptions {
  /** Release name: names the Service when values set no functionName. Default: the folder name. */
  name?: string;
  /** Namespace written into every resource. Default `vmware-functions`, where VEBA runs functions. */
  namespace?: string;
  /** The chart whose defaults apply. Default: `charts/veba-function` two levels above the function. */
  chartDir?: string;
  /** Last-applied overrides, like `helm --set` (e.g. `{ image: { tag: 'sha-abc' } }`). */
  values?: Values;
}

/**
 * The plain Knative YAML for one function: a `serving.knative.dev/v1` Service and its
 * `eventing.knative.dev/v1` Triggers (plus a Secret when `secret.create` is on) — VEBA's
 * `function.yaml` shape, for users who deploy with `kubectl apply` rather than Helm. Same output
 * as `helm template <name> charts/veba-function -f <functionDir>/values.yaml`, less the Helm labels.
 *
 * @example
 * const yaml = renderKnativeYaml('functions/echo', { values: { image: { tag: 'sha-1a2b3c4' } } });
 * // kubectl -n vmware-functions apply -f - <<< "$yaml"
 * @throws RenderError when a values file is missing, not YAML, or a value the chart would reject.
 */
export function renderKnativeYaml(functionDir: string, options: RenderOptions = {}): string {
  const dir = resolve(functionDir);
  const chartDir = resolve(options.chartDir ?? join(dir, '..', '..', 'charts', 'veba-function'));
  const valuesFile = join(dir, 'values.yaml');
  const chart = readValuesFile(join(chartDir, 'Chart.yaml'));
  const defaults = readValuesFile(join(chartDir, 'values.yaml'));
  // As helm does: the user's layers first (values file, then overrides), then the chart's
  // defaults fill in what they leave out.
  const user = mergeUserValues(readValuesFile(valuesFile), options.values ?? {});
  const values = mergeValues(defaults, user);
  checkValues(values, valuesFile);

  const releaseName = options.name ?? basename(dir);
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(releaseName)) {
    throw new RenderError(
      `${releaseName}: not usable as a Knative Service name (lowercase letters, digits, dashes)`,
    );
  }
  const manifests = buildManifests(values, {
    releaseName,
    namespace: options.namespace ?? 'vmware-functions',
    appVersion: scalar(chart['appVersion']) || scalar(chart['version']) || 'latest',
    managedBy: 'veba-fn',
  });
  const header =
    `# ${releaseName}: Knative Service + Triggers, rendered by \`veba-fn render ${releaseName}\`\n` +
    `# from ${basename(dir)}/values.yaml and the veba-function chart defaults. Apply with kubectl apply -f.\n`;
  return header + manifests.map((m) => stringify(m, { lineWidth: 0 })).join('---\n');
}
