/** First port of the range `dev` and `send` map function names into. */
export const DEV_PORT_BASE = 8100;
/** Size of that range: 8100-8899. */
export const DEV_PORT_RANGE = 800;

/**
 * The local port of a function: a stable FNV-1a hash of its name mapped into 8100-8899, so
 * `veba-fn dev echo` and `veba-fn send echo ...` agree without a state file, several functions can
 * run side by side, and the port does not change when other functions are added. `veba-fn list`
 * prints it; `--port` overrides it on both commands.
 *
 * @example devPort('echo') // always the same number between 8100 and 8899
 */
export function devPort(functionName: string): number {
  let hash = 0x811c9dc5;
  for (const char of functionName) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return DEV_PORT_BASE + (hash % DEV_PORT_RANGE);
}

/** Parses a --port value: an integer 1-65535, or 0 for "any free port" where allowed. */
export function parsePort(value: string, allowZero = false): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new RangeError(`invalid port "${value}"`);
  }
  return port;
}
