import { join } from 'node:path';
import {
  readTriggers as readValuesTriggers,
  type TriggerSummary,
} from '@veba-functions/test-helpers';

export type { TriggerSummary };

/**
 * Reads `functions/<name>/values.yaml` and returns its `triggers`. Throws when the file is not
 * valid YAML; an absent file or key gives an empty list.
 */
export function readTriggers(functionDir: string): TriggerSummary[] {
  return readValuesTriggers(join(functionDir, 'values.yaml'));
}
