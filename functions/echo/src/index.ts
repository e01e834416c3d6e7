import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { defineFunction, serve } from '@veba-functions/runtime';
import { handleEcho } from './handler.js';

/** The echo function: logs every event it receives and answers 204. */
export const echo = defineFunction({
  name: 'echo',
  handle: handleEcho,
});

// Started as the container's command (`node dist/index.js`); importing the module for tests does not serve.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  await serve(echo);
}
