import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { defineFunction, serve } from '@veba-functions/runtime';
import { handleEcho } from './handler.js';

/** The echo function: logs every event it receives and answers 204. */
export const echo = defineFunction({
  name: 'echo',
  handle: handleEcho,
});

/** True when this file is the process entry (`node dist/index.js`), not an import (tests, the CLI). */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) await serve(echo);
