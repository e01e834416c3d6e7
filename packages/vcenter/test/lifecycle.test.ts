import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from './api-server.js';

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
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(output).toContain('connected api');
  expect(code).toBe(0);
  expect(api.sessions.size).toBe(1);
}, 20_000);
