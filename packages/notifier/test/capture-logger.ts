/** A `NotifierLogger` that keeps every line (the tests of the clients look at what they log). */
import type { NotifierLogger } from '../src/target-client.js';

export interface LogLine {
  level: string;
  obj: object;
  msg: string | undefined;
}

export function captureLogger(): NotifierLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
