// A function started from its tsc output and the workspace packages' dist through node_modules,
// as functions ran before they shipped as one bundle: a reference for the benches only (how much
// the bundle saves at start and in memory). The shipped entry is functions/<name>/dist/main.js.
//
//   node bench/runtime/unbundled.mjs <name>
import { serve } from '@veba-functions/runtime';

const [name] = process.argv.slice(2);
if (name === undefined) {
  console.error('usage: node bench/runtime/unbundled.mjs <function name>');
  process.exit(2);
}
const module = await import(new URL(`../../functions/${name}/dist/index.js`, import.meta.url).href);
const create = Object.entries(module).find(
  ([key, value]) => /^create[A-Z]/.test(key) && typeof value === 'function',
);
if (create === undefined) {
  console.error(`functions/${name}/dist/index.js exports no create<Name>()`);
  process.exit(2);
}
await serve(create[1]());
