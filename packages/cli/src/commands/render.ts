import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import type { CliContext } from '../io.js';
import { renderKnativeYaml } from '../render/index.js';
import { findRepoRoot, resolveFunctionDir } from '../repo.js';

export const RENDER_USAGE = `veba-fn render <function> [--namespace NS] [--tag TAG | --digest SHA] [--out FILE]

Prints the function's Knative Service and Triggers as plain YAML (values.yaml over the
charts/veba-function defaults), for kubectl apply -f instead of Helm.

  --namespace NS   namespace of every resource                        [vmware-functions]
  --tag TAG        image tag (default: the chart's appVersion)
  --digest SHA     image digest (sha256:...), wins over the tag
  --out FILE       write to FILE instead of stdout`;

/** `veba-fn render`. */
export function renderCommand(argv: string[], ctx: CliContext): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      namespace: { type: 'string' },
      tag: { type: 'string' },
      digest: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const [name] = positionals;
  if (!name || positionals.length > 1)
    throw new UsageError('usage: ' + RENDER_USAGE.split('\n')[0]);
  const functionDir = resolveFunctionDir(findRepoRoot(ctx.cwd), name);
  const image: Record<string, string> = {};
  if (values.tag) image.tag = values.tag;
  if (values.digest) image.digest = values.digest;
  // A RenderError is a CliError: runCli prints it on one line and exits 2.
  const yaml = renderKnativeYaml(functionDir, {
    namespace: values.namespace,
    values: Object.keys(image).length > 0 ? { image } : undefined,
  });
  if (values.out) {
    writeFileSync(resolve(ctx.cwd, values.out), yaml);
    ctx.err(`wrote ${values.out}`);
  } else {
    ctx.out(yaml.trimEnd());
  }
  return 0;
}
