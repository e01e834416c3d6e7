import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { sampleForTypes } from '../src/events.js';
import { devPort } from '../src/ports.js';
import { captureContext, closedPort } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** A minimal repository with two functions, one without values.yaml. */
function fakeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'veba-fn-list-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ workspaces: ['functions/*'] }));
  for (const name of ['alpha', 'beta']) {
    mkdirSync(join(dir, 'functions', name), { recursive: true });
    writeFileSync(join(dir, 'functions', name, 'package.json'), '{}');
  }
  writeFileSync(
    join(dir, 'functions', 'alpha', 'values.yaml'),
    [
      'triggers:',
      '  - name: on',
      '    filter:',
      '      attributes:',
      '        type: com.vmware.vsphere.VmPoweredOnEvent.v0',
      '  - name: legacy',
      '    filter:',
      '      attributes:',
      '        type: com.vmware.event.router/event',
      '        subject: VmPoweredOnEvent',
    ].join('\n'),
  );
  return dir;
}

describe('veba-fn list', () => {
  it('prints each function, its dev port and its trigger types', async () => {
    const dir = fakeRepo();
    const ctx = captureContext(join(dir, 'functions', 'beta'));
    expect(await runCli(['list'], ctx)).toBe(0);

    expect(ctx.stdout).toEqual([
      'FUNCTION  PORT   TRIGGER TYPES',
      `alpha     ${devPort('alpha')}   com.vmware.vsphere.VmPoweredOnEvent.v0`,
      '                 com.vmware.event.router/event',
      `beta      ${devPort('beta')}   (none)`,
    ]);
  });

  it('lists the real functions with the types of their values.yaml as JSON', async () => {
    const ctx = captureContext(repoRoot);
    expect(await runCli(['list', '--json'], ctx)).toBe(0);
    const rows = JSON.parse(ctx.stdout.join('\n')) as { name: string; triggers: string[] }[];

    const slack = rows.find((r) => r.name === 'slack-alert');
    expect(slack?.triggers).toContain('com.vmware.vsphere.AlarmStatusChangedEvent.v0');
    expect(rows.map((r) => r.name)).toContain('echo');
  });

  it('reports a values.yaml that is not YAML', async () => {
    const dir = fakeRepo();
    writeFileSync(join(dir, 'functions', 'beta', 'values.yaml'), 'triggers: [unclosed');
    const ctx = captureContext(dir);

    expect(await runCli(['list'], ctx)).toBe(2);
    expect(ctx.stderr[0]).toMatch(/^veba-fn: functions\/beta\/values.yaml: /);
  });
});

describe('sampleForTypes', () => {
  it('finds a corpus file carrying one of the types, by its recorded or structured type', () => {
    expect(sampleForTypes(['com.vmware.vsphere.DrsVmPoweredOnEvent.v0'])).toBe(
      'kn-pcli-tag__test-payload.json',
    );
    expect(sampleForTypes(['com.vmware.vsphere.NoSuchEvent.v0'])).toBeUndefined();
  });
});

describe('dev ports', () => {
  it('maps a name to a stable port in 8100-8899', () => {
    expect(devPort('echo')).toBe(devPort('echo'));
    for (const name of ['echo', 'slack-alert', 'vm-tag-on-power-on', 'x']) {
      expect(devPort(name)).toBeGreaterThanOrEqual(8100);
      expect(devPort(name)).toBeLessThan(8900);
    }
    expect(devPort('echo')).not.toBe(devPort('slack-alert'));
  });
});

describe('veba-fn (dispatch)', () => {
  it('prints the usage and exits 2 on an unknown command', async () => {
    const ctx = captureContext(repoRoot);
    expect(await runCli(['--help'], ctx)).toBe(0);
    expect(ctx.stdout[0]).toMatch(/^veba-fn: /);
    expect(await runCli(['deploy'], ctx)).toBe(2);
    expect(ctx.stderr).toEqual(['veba-fn: unknown command "deploy" (veba-fn --help lists them)']);
  });

  it('renders a function through the deploy module and names a missing one', async () => {
    const ctx = captureContext(repoRoot);
    expect(await runCli(['render', 'echo', '--namespace', 'demo'], ctx)).toBe(0);
    const yaml = ctx.stdout.join('\n');
    expect(yaml).toContain('kind: Service');
    expect(yaml).toContain('namespace: demo');

    expect(await runCli(['render', 'no-such-function'], ctx)).toBe(2);
    expect(ctx.stderr[0]).toMatch(/^veba-fn: no function "no-such-function"/);
  });
});

describe('veba-fn dev', () => {
  it('runs a function from its sources with the .env file and pretty logs; send reaches it', async () => {
    const port = await closedPort();
    const envFile = join(mkdtempSync(join(tmpdir(), 'veba-fn-dev-')), '.env');
    // LOG_LEVEL=debug from the .env file shows up as the runtime's per-event DEBUG line.
    writeFileSync(envFile, 'LOG_LEVEL=debug\n');
    const child = spawn(
      process.execPath,
      [mainJs, 'dev', 'echo', '--port', String(port), '--env-file', envFile],
      {
        cwd: repoRoot,
        env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', FORCE_COLOR: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    try {
      const deadline = Date.now() + 60_000;
      let ready = false;
      while (!ready && Date.now() < deadline && child.exitCode === null) {
        ready = await fetch(`http://127.0.0.1:${port}/health/readiness`).then(
          (r) => r.status === 200,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      expect(ready, output).toBe(true);

      const ctx = captureContext(repoRoot);
      const code = await runCli(
        ['send', 'echo', 'kn-py-echo__testevent.json', '--port', String(port)],
        ctx,
      );
      expect(code, ctx.stdout.join('\n')).toBe(0);

      await new Promise((r) => setTimeout(r, 300));
      expect(output).toContain(`veba-fn dev echo: http://127.0.0.1:${port}`);
      expect(output).toContain('in-memory');
      // pino-pretty's layout: "[HH:MM:ss.l] INFO (...): message", not a JSON line.
      expect(output).toMatch(/\] INFO/);
      expect(output).toMatch(/\] DEBUG.*event done/);
      expect(output).not.toMatch(/^\{"level"/m);
      expect(output).toContain('08179137-b8e0-4973-b05f-8f212bf5003b');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 90_000);
});
