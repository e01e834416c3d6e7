// A function as its image runs it, on this machine: the bundle (scripts/bundle-function.mjs,
// rebuilt from the function's dist on every call), the runtime stage's ENV and CMD
// (scripts/image-runtime.mjs), and, on a Node that has one, the compile cache written the way
// the image's compile-cache stage writes it. Paths under /app (the image's WORKDIR, the repo root
// in the build) point into this repository instead.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFunction, writeCompileCache } from '../../scripts/bundle-function.mjs';
import { readImageRuntime } from '../../scripts/image-runtime.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Prepares `functions/<name>` as shipped, for the Node at `node` (a path).
 * @returns `{ args, env, bundleBytes, compileCache }`: spawn `node` with `args` and `env` (PORT
 * and peers' keys to be added by the caller); `compileCache` is 'accepted', 'unsupported' or the
 * reason it is not used.
 */
export async function shippedFunction(name, node) {
  const bundle = await bundleFunction(name, { logLevel: 'error' });
  const image = readImageRuntime(name);
  const env = Object.fromEntries(
    Object.entries(image.env)
      .filter(([key]) => key !== 'PORT')
      .map(([key, value]) => [key, value.replace(/^\/app(?=\/|$)/, root.replace(/\/$/, ''))]),
  );
  const args = [join(root, image.entry)];
  let compileCache = 'not set in the image';
  if (env.NODE_COMPILE_CACHE !== undefined) {
    const dir = join(root, 'bench', 'results', 'compile-cache', name);
    if (existsSync(dir)) {
      chmodTree(dir, 0o755, 0o644);
      rmSync(dir, { recursive: true });
    }
    const written = await writeCompileCache(name, { dir, node });
    env.NODE_COMPILE_CACHE = dir;
    compileCache = written.supported ? await cacheVerdict(node, args, env, dir) : 'unsupported';
  }
  return { args, env, bundleBytes: bundle.bytes, compileCache };
}

/** chmod of `dir` and everything under it: `dirMode` for folders, `fileMode` for files. */
function chmodTree(dir, dirMode, fileMode) {
  chmodSync(dir, dirMode);
  for (const entry of readdirSync(dir, { recursive: true })) {
    const path = join(dir, String(entry));
    chmodSync(path, statSync(path).isDirectory() ? dirMode : fileMode);
  }
}

/**
 * Runs the bundle once more with Node's compile-cache debug output, the cache folder read-only
 * as in the image (a root user bypasses that), and says whether V8 accepted the cache and Node
 * left it as it was.
 */
async function cacheVerdict(node, args, env, dir) {
  chmodTree(dir, 0o555, 0o444);
  const output = await new Promise((resolve) => {
    const child = spawn(node, args, {
      env: {
        PATH: process.env.PATH,
        ...env,
        PORT: 'compile-cache-check',
        NODE_DEBUG_NATIVE: 'COMPILE_CACHE',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let text = '';
    child.stderr.on('data', (chunk) => (text += chunk));
    child.on('exit', () => resolve(text));
  });
  if (!/was accepted/.test(output)) return `not accepted:\n${output}`;
  if (/writing cache|persisting .* to/i.test(output) && !/skip persisting/.test(output))
    return 'accepted, but Node wrote to it';
  return 'accepted (read-only)';
}
