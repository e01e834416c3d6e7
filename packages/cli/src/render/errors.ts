import { CliError } from '../errors.js';

/** A function's values cannot be turned into Knative YAML: missing file, bad YAML, a bad value. */
export class RenderError extends CliError {
  override readonly name = 'RenderError';
}
