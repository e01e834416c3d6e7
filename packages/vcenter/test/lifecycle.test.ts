import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../src/testing/index.js';

let api: ApiServer;
beforeEach(async () => {
  api = await startApiServer();
});
afterEach(async () => {
  await api.close();
});

it('a connected client with a keep-alive timer does not keep the process alive', async () => {
  const script = fileURLToPath(new URL('./fixtures/connect-and-return.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, api.url, api.username, api.password],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // A child kept alive by the client is killed (and the test fails) instead of being left behind.
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(killer);
  expect(output).toContain('connected api');
  expect(signal).toBeNull();
  expect(code).toBe(0);
  expect(api.sessions.size).toBe(1);
}, 40_000);
