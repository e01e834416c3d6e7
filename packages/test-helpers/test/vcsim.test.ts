import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../src/function-harness.js';
import { startVcsim, type VcsimServer } from '../src/vcsim.js';
import { startVcsimProxy } from '../src/vcsim-proxy.js';

interface Answer {
  status: number;
  body: string;
}

function post(
  vcsim: VcsimServer,
  path: string,
  headers: Record<string, string>,
  ca?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${vcsim.url}${path}`,
      { method: 'POST', headers, ...(ca === undefined ? {} : { ca }) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startVcsim', () => {
  let vcsim: VcsimServer;

  beforeAll(async () => {
    vcsim = await startVcsim();
  }, 300_000);

  afterAll(async () => {
    await vcsim?.stop();
  });

  it('reports where it listens, its credentials, its certificate and its VMs', () => {
    expect(vcsim.url).toBe(`https://127.0.0.1:${vcsim.port}`);
    expect(vcsim.host).toBe('127.0.0.1');
    expect(vcsim.port).toBeGreaterThan(0);
    expect(vcsim.username).not.toBe('');
    expect(readFileSync(vcsim.caFile, 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
    expect(vcsim.vms.length).toBeGreaterThan(0);
    for (const vm of vcsim.vms) expect(vm).toMatch(/^vm-\d+$/);
  });

  it('maps VM and host names to morefs, at start and through the vSphere API', async () => {
    expect(Object.values(vcsim.inventory.vms).sort()).toEqual([...vcsim.vms]);
    expect(vcsim.inventory.vms.DC0_H0_VM0).toMatch(/^vm-\d+$/);
    expect(vcsim.inventory.hosts.DC0_H0).toMatch(/^host-\d+$/);
    expect(await vcsim.readInventory()).toEqual(vcsim.inventory);
  });

  it('starts no event source without a sink', async () => {
    expect(await vcsim.source.sinks()).toEqual([]);
    expect(vcsim.source.deliveries.source).toEqual([]);
  });

  it('serves the /rest session endpoint over TLS trusted through caFile', async () => {
    const auth = `Basic ${Buffer.from(`${vcsim.username}:${vcsim.password}`).toString('base64')}`;
    const answer = await post(
      vcsim,
      '/rest/com/vmware/cis/session',
      { Authorization: auth },
      readFileSync(vcsim.caFile, 'utf8'),
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      value: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
  });

  it('rejects its self-signed certificate without caFile', async () => {
    await expect(post(vcsim, '/rest/com/vmware/cis/session', {})).rejects.toMatchObject({
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  it('startVcsimProxy: plain HTTP in front of it, passing requests on unless intercept takes them', async () => {
    const seen: string[] = [];
    const proxy = await startVcsimProxy(vcsim, {
      intercept(req, res) {
        seen.push(req.url ?? '');
        if (!(req.url ?? '').includes('/refused')) return false;
        res.writeHead(503).end();
        return true;
      },
    });
    try {
      const auth = `Basic ${Buffer.from(`${vcsim.username}:${vcsim.password}`).toString('base64')}`;
      const passed = await httpRequest(`${proxy.url}/rest/com/vmware/cis/session`, {
        headers: { authorization: auth },
      });
      expect(passed.status).toBe(200);
      expect(passed.json()).toEqual({ value: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
      expect((await httpRequest(`${proxy.url}/refused`)).status).toBe(503);
      expect(seen).toEqual(['/rest/com/vmware/cis/session', '/refused']);
    } finally {
      await proxy.close();
    }
  });

  it('stops: the port closes, and stop() can be called twice', async () => {
    const other = await startVcsim({ idleTimeoutSeconds: 60 });
    expect(other.port).not.toBe(vcsim.port);
    expect(await portOpen(other.port)).toBe(true);
    await other.stop();
    await other.stop();
    expect(await portOpen(other.port)).toBe(false);
  });
});
