// What a function's container runs, read from the Dockerfile's runtime stage: the environment
// (its ENV lines) and the file node starts (its CMD). The benches and the image smoke test start
// a function from these, so they measure and test what ships, not a copy that can drift.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The runtime stage: from `FROM ... AS runtime` to the end, continuation lines joined. */
function runtimeStage(dockerfile) {
  const start = dockerfile.search(/^FROM \S+ AS runtime$/m);
  if (start === -1) throw new Error('the Dockerfile has no `FROM ... AS runtime` stage');
  return dockerfile
    .slice(start)
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'));
}

/** `${NAME}` and `$NAME` replaced by `vars[NAME]` (unknown names are left as they are). */
function expand(text, vars) {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, a, b) => vars[a ?? b] ?? whole);
}

/** `ENV A=1 B="two words"` -> [['A', '1'], ['B', 'two words']]. */
function envPairs(rest) {
  const pairs = [];
  const pattern = /(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (let match = pattern.exec(rest); match !== null; match = pattern.exec(rest)) {
    const raw = match[2];
    pairs.push([match[1], raw.startsWith('"') ? JSON.parse(raw) : raw]);
  }
  return pairs;
}

/**
 * The runtime stage of the Dockerfile for one function: `env` (every ENV, `${FUNCTION}`
 * expanded) and `entry` (the path node runs, relative to the image's WORKDIR, /app, which is the
 * repository root in the build stages).
 *
 * @example
 * readImageRuntime('echo') // { env: { NODE_ENV: 'production', ... }, entry: 'functions/echo/dist/main.js' }
 */
export function readImageRuntime(name, root = defaultRoot) {
  const lines = runtimeStage(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const vars = { FUNCTION: name };
  const env = {};
  let entry;
  for (const line of lines) {
    const [instruction, ...words] = line.trim().split(/\s+/);
    const rest = words.join(' ');
    if (instruction === 'ENV') {
      for (const [key, value] of envPairs(rest)) {
        env[key] = expand(value, { ...vars, ...env });
        vars[key] = env[key];
      }
    } else if (instruction === 'CMD') {
      const path = /exec node \\?"([^"\\]+)\\?"/.exec(rest)?.[1];
      if (path !== undefined) entry = expand(path, vars);
    }
  }
  if (entry === undefined) throw new Error('no `exec node "<path>"` in the runtime stage CMD');
  return { env, entry };
}

// `node scripts/image-runtime.mjs <name>` prints it as JSON (for the image smoke test).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const name = process.argv[2];
  if (name === undefined) {
    console.error('usage: node scripts/image-runtime.mjs <function name>');
    process.exit(2);
  }
  console.log(JSON.stringify(readImageRuntime(name)));
}
