/* eslint-disable no-console -- this module's job is replacing the console's methods */
import { format } from 'node:util';
import type { Logger } from './logger.js';

/** Console methods and the log level each is written at. */
const LEVELS = { log: 'info', info: 'info', warn: 'warn', error: 'error', debug: 'debug' } as const;
type Method = keyof typeof LEVELS;

/**
 * Routes `console.log/info/warn/error/debug` to a logger: one JSON line at the matching level,
 * with a `console` field naming the method, through the logger's secret scrubbing. A function's
 * dependencies print on their own (ioredis: `[WARN] Redis server does not require a password,
 * but a password was supplied.`), and a plain-text line among JSON ones breaks log pipelines.
 * While `target()` returns undefined, or if writing through the logger calls the console again,
 * the original method is used. Returns a function that puts the original methods back.
 */
export function routeConsole(target: () => Logger | undefined): () => void {
  const originals = new Map<Method, (...args: unknown[]) => void>();
  let writing = false;
  for (const method of Object.keys(LEVELS) as Method[]) {
    const original = console[method].bind(console) as (...args: unknown[]) => void;
    originals.set(method, original);
    console[method] = (...args: unknown[]) => {
      const logger = target();
      if (logger === undefined || writing) {
        original(...args);
        return;
      }
      writing = true;
      try {
        const [first] = args;
        if (args.length === 1 && first instanceof Error) {
          logger[LEVELS[method]]({ console: method, err: first }, first.message);
        } else {
          logger[LEVELS[method]]({ console: method }, format(...args));
        }
      } finally {
        writing = false;
      }
    };
  }
  return () => {
    for (const [method, original] of originals) console[method] = original;
  };
}
