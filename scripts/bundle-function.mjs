// What the image ships for a function: its built entry and every module it imports (workspace
// packages and node_modules alike) in one ES module file, so that starting the function loads and
// compiles one file instead of some hundreds (most of a function's start-up time, and a good part
// of its idle memory, went to module resolution and loading). One script for every function,
// driven by the function's name; the Dockerfile, the image smoke test and the benches all use it.
//
//   node ../../scripts/bundle-function.mjs          in a function's folder: its `build` script runs
//                                                  it after tsc (the workspace packages built first)
//   node scripts/bundle-function.mjs <name>         the same from the repository root
//   node scripts/bundle-function.mjs --compile-cache <dir> <name>   V8 code cache of the bundle
//   node scripts/bundle-function.mjs --entry <module> --outfile <file.mjs>   any entry, same way
//
// Output: functions/<name>/dist/main.js (+ main.js.map, THIRD-PARTY-LICENSES.txt), bundled from
// src/main.ts. That file is the one entry point of a function: the container's command, what the
// demo and the benches start (`node functions/<name>/dist/main.js`). Nothing stays external: the
// bundle needs Node and nothing else, no node_modules next to it (the function's package.json
// beside it says `"type": "module"`).
//
// pino is bundled whole. Its transports run in worker threads loaded from files of their own, so
// a bundle that used one would need pino's and thread-stream's worker files emitted next to it
// (https://github.com/pinojs/pino/blob/main/docs/bundling.md); the runtime writes with
// pino.destination (sonic-boom, in-process) and uses no transport, so nothing is emitted, and a
// `pino.transport()` in a bundle would fail at its first use, not silently.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `functions/<name>/dist/main.js` (absolute): the bundle, the function's one entry point. */
export function bundlePath(name, root = defaultRoot) {
  return join(root, 'functions', name, 'dist', 'main.js');
}

/** What a function's bundle is built from: its `src/main.ts`. */
export function entryOf(name, root = defaultRoot) {
  const entry = join(root, 'functions', name, 'src', 'main.ts');
  if (!existsSync(entry)) throw new BundleError(`functions/${name} has no src/main.ts`);
  return entry;
}

/** The function whose folder `dir` is (or is inside), for the `build` script run in it. */
export function functionAt(dir, root = defaultRoot) {
  const inside = relative(join(root, 'functions'), dir).split(/[\\/]/);
  return inside[0] && inside[0] !== '..' ? inside[0] : undefined;
}

export class BundleError extends Error {
  name = 'BundleError';
}

/** Node's built-in module names, with and without `node:`. */
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

// CommonJS dependencies (pino, prom-client, ioredis, the cloudevents SDK) call require() on Node's
// built-in modules; in an ES module bundle esbuild routes those calls to a `require` in scope.
const REQUIRE_SHIM =
  "import { createRequire as __vebaCreateRequire } from 'node:module';\n" +
  'const require = __vebaCreateRequire(import.meta.url);';

/** The root package.json's engines.node lower bound as an esbuild target (`node20.19`). */
function nodeTarget(root) {
  const range = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node ?? '';
  const version = /(\d+(?:\.\d+){0,2})/.exec(range)?.[1];
  return version === undefined ? 'node20' : `node${version}`;
}

/**
 * Bundles one function. Syntax and whitespace are minified (a smaller source to read and parse),
 * identifiers are not and names are kept (`keepNames`), so stack traces and pino's `err.type`
 * read as in the sources; the linked source map (`main.mjs.map`, chained through tsc's maps)
 * turns positions back into the TypeScript sources with `node --enable-source-maps`.
 *
 * @returns the bundle's path, its size, the entry it came from and the packages it holds.
 */
export async function bundleFunction(name, { root = defaultRoot, logLevel = 'warning' } = {}) {
  const entry = entryOf(name, root);
  const result = await bundleEntry({ entry, outfile: bundlePath(name, root), root, logLevel });
  return { entry, ...result };
}

/**
 * Bundles any entry module the way a function is bundled (for functions, and for tests that
 * check a dependency works bundled). Fails when the output would import anything but Node's
 * built-in modules at run time.
 */
export async function bundleEntry({ entry, outfile, root = defaultRoot, logLevel = 'warning' }) {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    outfile,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: nodeTarget(root),
    banner: { js: REQUIRE_SHIM },
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'none',
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel,
  });
  const [output] = Object.values(result.metafile.outputs).filter((o) => o.entryPoint);
  const external = (output?.imports ?? [])
    .filter((i) => i.external && !builtins.has(i.path))
    .map((i) => i.path);
  if (external.length > 0) {
    throw new BundleError(
      `the bundle of ${entry} imports ${external.join(', ')} at run time: it must hold every module but Node's own`,
    );
  }
  const packages = writeLicenses(root, Object.keys(result.metafile.inputs), outfile);
  return {
    outfile,
    bytes: statSync(outfile).size,
    packages,
    warnings: result.warnings.length,
  };
}

/**
 * The bundle holds other people's code: their licence texts travel with it, as they did with the
 * node_modules the image used to carry. One file, every third-party package the bundle holds.
 */
function writeLicenses(root, inputs, outfile) {
  const dirs = new Set();
  for (const input of inputs) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) dirs.add(match[1]);
  }
  const sections = [];
  const packages = [];
  for (const dir of [...dirs].sort()) {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    if (pkg.name?.startsWith('@veba-functions/')) continue;
    packages.push(`${pkg.name}@${pkg.version}`);
    const files = readdirSync(join(root, dir)).filter((f) =>
      /^(licen[cs]e|copying|notice)/i.test(f),
    );
    const texts = files.map((f) => readFileSync(join(root, dir, f), 'utf8').trim());
    sections.push(
      `${pkg.name}@${pkg.version} (${typeof pkg.license === 'string' ? pkg.license : 'see below'})\n\n${
        texts.join('\n\n') || '(no licence file in the package)'
      }`,
    );
  }
  writeFileSync(
    join(dirname(outfile), 'THIRD-PARTY-LICENSES.txt'),
    `Third-party packages bundled into ${basename(outfile)}\n\n${sections.join(`\n\n${'-'.repeat(72)}\n\n`)}\n`,
  );
  return packages;
}

/** Whether a Node binary has a module compile cache (module.enableCompileCache, Node >= 22.1). */
export function hasCompileCache(node = process.execPath) {
  const script = "process.stdout.write(typeof require('node:module').enableCompileCache)";
  return execFileSync(node, ['-e', script], { encoding: 'utf8' }) === 'function';
}

/**
 * Writes the V8 code cache of a function's bundle into `dir`, for a read-only image: the process
 * that runs the bundle later (same Node, same path, same user id: Node names the cache's
 * sub-folder after all three) reads it instead of parsing the bundle, and cannot write one itself.
 * The bundle is run once with an invalid PORT: it loads and compiles every module, then fails the
 * runtime's config check and exits 1, which is when Node writes the cache. Files are made
 * readable by all (Node writes them 0600).
 *
 * `node` is the binary to write it with (the one that runs the bundle later).
 *
 * @returns the files written; none on a Node without a compile cache (below 22.1).
 */
export async function writeCompileCache(
  name,
  { root = defaultRoot, dir, node = process.execPath },
) {
  if (!hasCompileCache(node)) return { supported: false, files: [] };
  const bundle = bundlePath(name, root);
  if (!existsSync(bundle)) throw new BundleError(`no bundle at ${bundle}: bundle ${name} first`);
  const { code, output } = await new Promise((done, fail) => {
    const child = spawn(node, [bundle], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        NODE_COMPILE_CACHE: dir,
        PORT: 'compile-cache-warm-up',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.stderr.on('data', (chunk) => (text += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', fail);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      done({ code: exitCode, output: text });
    });
  });
  if (code !== 1 || !output.includes('PORT')) {
    throw new BundleError(
      `the warm-up run of ${name} should have failed its config check on PORT (exit 1), got exit ${code}:\n${output}`,
    );
  }
  const files = listFiles(dir);
  if (files.length === 0) throw new BundleError(`Node wrote no compile cache into ${dir}`);
  for (const path of [dir, ...listDirs(dir)]) chmodSync(path, 0o755);
  for (const path of files) chmodSync(path, 0o644);
  return { supported: true, files };
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map((entry) => join(dir, String(entry)))
    .filter((path) => statSync(path).isFile());
}

function listDirs(dir) {
  return readdirSync(dir, { recursive: true })
    .map((entry) => join(dir, String(entry)))
    .filter((path) => statSync(path).isDirectory());
}

async function main(args) {
  let cacheDir;
  let entry;
  let outfile;
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--compile-cache') cacheDir = args[++i];
    else if (args[i] === '--entry') entry = args[++i];
    else if (args[i] === '--outfile') outfile = args[++i];
    else rest.push(args[i]);
  }
  if (entry !== undefined && outfile !== undefined && rest.length === 0) {
    const result = await bundleEntry({ entry: resolve(entry), outfile: resolve(outfile) });
    console.log(`${outfile}: ${(result.bytes / 1024).toFixed(0)} KiB from ${entry}`);
    return;
  }
  const name = rest[0] ?? (rest.length === 0 ? functionAt(process.cwd()) : undefined);
  if (
    name === undefined ||
    rest.length > 1 ||
    (cacheDir === undefined && args.includes('--compile-cache'))
  ) {
    console.error(
      'usage: node scripts/bundle-function.mjs [--compile-cache <dir>] [<function name>] (default: the function whose folder this is)',
    );
    process.exit(2);
  }
  if (cacheDir !== undefined) {
    const result = await writeCompileCache(name, { dir: resolve(cacheDir) });
    console.log(
      result.supported
        ? `compile cache of ${name}: ${result.files.length} file(s) in ${cacheDir}`
        : `Node ${process.version} has no module compile cache (22.1 and later): nothing written`,
    );
    return;
  }
  const result = await bundleFunction(name);
  console.log(
    `${relative(defaultRoot, result.outfile)}: ${(result.bytes / 1024).toFixed(0)} KiB from ${relative(defaultRoot, result.entry)}, ${result.packages.length} third-party packages`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof BundleError ? error.message : error);
    process.exit(1);
  });
}
