// The source emulator against a local receiver: vcsim does real operations, records its own
// events, and the emulator POSTs each one as VEBA v0.8's VSphereSource would (binary-mode
// CloudEvent; mapping from vmware-tanzu/sources-for-knative pkg/vsphere/adapter.go sendEvents and
// pkg/vsphere/vsphere.go getEventDetails, see tools/vcsim/README.md).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVebaFixture } from '../src/fixtures.js';
import type { VcsimActionResult } from '../src/vcsim-control.js';
import { VcsimActionError } from '../src/vcsim-errors.js';
import { startVcsim, type VcsimServer } from '../src/vcsim.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

interface Receiver {
  readonly url: string;
  readonly requests: Received[];
  /** Requests for one CloudEvent id that were answered 2xx. */
  accepted(id: string): Received[];
  close(): Promise<void>;
}

/** A local sink: records every request and answers with `status(request number for this id)`. */
async function startReceiver(
  status: (attemptForId: number) => number = () => 204,
): Promise<Receiver> {
  const requests: Received[] = [];
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const id = String(req.headers['ce-id']);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const code = status(n);
      requests.push({ headers: req.headers, body, status: code });
      res.statusCode = code;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    accepted: (id) =>
      requests.filter((r) => r.headers['ce-id'] === id && r.status >= 200 && r.status < 300),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface EntityArg {
  Name: string;
  [kind: string]: unknown;
}

interface VSphereEventData {
  Key: number;
  ChainId: number;
  CreatedTime: string;
  UserName: string;
  Datacenter: EntityArg | null;
  ComputeResource: EntityArg | null;
  Host: EntityArg | null;
  Vm: EntityArg | null;
  FullFormattedMessage: string;
  [field: string]: unknown;
}

const moref = (arg: EntityArg | null, kind: string): unknown =>
  (arg?.[kind] as { Value?: string } | undefined)?.Value;

const CE_HEADERS = [
  'ce-eventclass',
  'ce-id',
  'ce-source',
  'ce-specversion',
  'ce-time',
  'ce-type',
  'ce-vsphereapiversion',
];

describe('vcsim source emulator', () => {
  let vcsim: VcsimServer;
  let sink: Receiver;

  /** The one accepted CloudEvent for each of the action's events, checked attribute by attribute. */
  function received(result: VcsimActionResult): VSphereEventData[] {
    return result.events.map((event) => {
      const copies = sink.accepted(event.id);
      expect(copies, `event ${event.id} ${event.eventType}`).toHaveLength(1);
      const { headers, body } = copies[0]!;
      const data = JSON.parse(body) as VSphereEventData;
      expect(
        Object.keys(headers)
          .filter((h) => h.startsWith('ce-'))
          .sort(),
      ).toEqual(CE_HEADERS);
      expect(headers).toMatchObject({
        'ce-specversion': '1.0',
        'ce-id': String(data.Key),
        'ce-type': `com.vmware.vsphere.${event.eventType}.v0`,
        'ce-source': `https://127.0.0.1:${vcsim.port}/sdk`,
        'ce-time': data.CreatedTime,
        'ce-eventclass': event.class,
        'ce-vsphereapiversion': '6.5',
        'content-type': 'application/json',
      });
      expect(headers['ce-time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(data.Key).toBe(event.key);
      expect(data.UserName).toBe(result.user);
      return data;
    });
  }

  beforeAll(async () => {
    sink = await startReceiver();
    vcsim = await startVcsim({ sinks: [sink.url], source: { retries: 2, backoffMs: 20 } });
  }, 300_000);

  afterAll(async () => {
    await vcsim?.stop();
    await sink?.close();
  });

  it('reports its CloudEvent source and the sink it was started with', async () => {
    expect(vcsim.source.address).toBe(`https://127.0.0.1:${vcsim.port}/sdk`);
    const sinks = await vcsim.source.sinks();
    expect(sinks.map((s) => s.url)).toEqual([sink.url]);
  });

  it('power off and on: VmStoppingEvent/VmPoweredOffEvent, VmStartingEvent/VmPoweredOnEvent, as the acting user', async () => {
    const off = await vcsim.actions.powerOff('DC0_H0_VM0', { user: 'alice' });
    expect(off.delivered).toBe(true);
    // alice had no session yet: vcsim records her login first.
    expect(off.events.map((e) => e.eventType)).toEqual([
      'UserLoginSessionEvent',
      'VmStoppingEvent',
      'VmPoweredOffEvent',
    ]);
    expect(off.events.every((e) => e.origin === 'vcsim' && e.userName === 'alice')).toBe(true);
    const [login, stopping, poweredOff] = received(off);
    expect(login!.Vm).toBeNull();
    const inventory = await vcsim.readInventory();
    expect(off.vm).toEqual({ name: 'DC0_H0_VM0', moref: inventory.vms.DC0_H0_VM0 });
    for (const data of [stopping!, poweredOff!]) {
      expect(data.Vm).toEqual({
        Name: 'DC0_H0_VM0',
        Vm: { Type: 'VirtualMachine', Value: inventory.vms.DC0_H0_VM0 },
      });
      expect(moref(data.Host, 'Host')).toBe(inventory.hosts.DC0_H0);
      expect(moref(data.Datacenter, 'Datacenter')).toMatch(/^datacenter-\d+$/);
      expect(data.Template).toBe(false);
    }
    expect(poweredOff!.FullFormattedMessage).toBe('DC0_H0_VM0 on DC0_H0 in DC0 is powered off');

    const on = await vcsim.actions.powerOn('DC0_H0_VM0', { user: 'alice' });
    expect(on.events.map((e) => e.eventType)).toEqual(['VmStartingEvent', 'VmPoweredOnEvent']);
    const [, poweredOn] = received(on);
    expect(moref(poweredOn!.Vm, 'Vm')).toBe(inventory.vms.DC0_H0_VM0);
  });

  it('UserName is whoever the action ran as', async () => {
    const byCarol = await vcsim.actions.powerOff('DC0_H0_VM1', { user: 'corp.local\\carol' });
    const byDave = await vcsim.actions.powerOn('DC0_H0_VM1', { user: 'dave@vsphere.local' });
    expect(received(byCarol).map((d) => d.UserName)).toEqual(Array(3).fill('corp.local\\carol'));
    expect(received(byDave).map((d) => d.UserName)).toEqual(Array(3).fill('dave@vsphere.local'));
  });

  it('clone: VmBeingClonedEvent about the source, the new VM created, VmClonedEvent about the clone', async () => {
    const result = await vcsim.actions.clone('DC0_H0_VM0', 'web-07', { user: 'bob' });
    expect(result.events.map((e) => e.eventType)).toEqual([
      'UserLoginSessionEvent',
      'VmBeingClonedEvent',
      'VmBeingCreatedEvent',
      'VmInstanceUuidAssignedEvent',
      'VmUuidAssignedEvent',
      'VmCreatedEvent',
      'VmClonedEvent',
    ]);
    const inventory = await vcsim.readInventory();
    const clone = inventory.vms['web-07'];
    expect(clone).toMatch(/^vm-\d+$/);
    expect(result.vm).toEqual({ name: 'web-07', moref: clone });
    const data = received(result);
    const beingCloned = data[1]!;
    expect(moref(beingCloned.Vm, 'Vm')).toBe(inventory.vms.DC0_H0_VM0);
    expect(beingCloned.DestName).toBe('web-07');
    for (const created of data.slice(2)) expect(moref(created.Vm, 'Vm')).toBe(clone);
    const cloned = data[6]!;
    expect(cloned.Vm).toEqual({ Name: 'web-07', Vm: { Type: 'VirtualMachine', Value: clone } });
    expect(moref(cloned.SourceVm as EntityArg, 'Vm')).toBe(inventory.vms.DC0_H0_VM0);
  });

  it('create: VmBeingCreatedEvent ... VmCreatedEvent for the new VM', async () => {
    const result = await vcsim.actions.create('db-01', { user: 'bob', host: 'DC0_C0_H1' });
    expect(result.events.map((e) => e.eventType)).toEqual([
      'VmBeingCreatedEvent',
      'VmInstanceUuidAssignedEvent',
      'VmUuidAssignedEvent',
      'VmCreatedEvent',
    ]);
    const inventory = await vcsim.readInventory();
    const created = received(result)[3]!;
    expect(created.Vm).toEqual({
      Name: 'db-01',
      Vm: { Type: 'VirtualMachine', Value: inventory.vms['db-01'] },
    });
    expect(moref(created.Host, 'Host')).toBe(inventory.hosts.DC0_C0_H1);
    expect(created.FullFormattedMessage).toBe('Created virtual machine db-01 on DC0_C0_H1 in DC0');
  });

  it('a power-on in the DRS cluster is still VmPoweredOnEvent: vcsim 0.24.2 records no DrsVmPoweredOnEvent', async () => {
    await vcsim.actions.powerOff('DC0_C0_RP0_VM0', { user: 'erin' });
    const on = await vcsim.actions.powerOn('DC0_C0_RP0_VM0', { user: 'erin' });
    expect(on.events.map((e) => e.eventType)).toEqual(['VmStartingEvent', 'VmPoweredOnEvent']);
    const poweredOn = received(on)[1]!;
    expect(poweredOn.ComputeResource).toMatchObject({
      Name: 'DC0_C0',
      ComputeResource: { Type: 'ClusterComputeResource' },
    });
  });

  it('maintenance mode: the driver posts the events vcsim does not record, about the real host', async () => {
    const enter = await vcsim.actions.enterMaintenance('DC0_H0', { user: 'frank' });
    expect(enter.events.map((e) => [e.eventType, e.origin])).toEqual([
      ['UserLoginSessionEvent', 'vcsim'],
      ['EnteringMaintenanceModeEvent', 'driver'],
      ['EnteredMaintenanceModeEvent', 'driver'],
    ]);
    const exit = await vcsim.actions.exitMaintenance('DC0_H0', { user: 'frank' });
    expect(exit.events.map((e) => e.eventType)).toEqual(['ExitMaintenanceModeEvent']);
    for (const data of [...received(enter).slice(1), ...received(exit)]) {
      expect(data.Host).toEqual({
        Name: 'DC0_H0',
        Host: { Type: 'HostSystem', Value: vcsim.inventory.hosts.DC0_H0 },
      });
      expect(data.Vm).toBeNull();
      expect(data.UserName).toBe('frank');
    }
    expect(received(exit)[0]!.FullFormattedMessage).toBe(
      'Host DC0_H0 in DC0 has exited maintenance mode',
    );

    // Without the driver's help vcsim records nothing for these tasks.
    const bare = await vcsim.actions.enterMaintenance('DC0_H0', {
      user: 'frank',
      postEvents: false,
    });
    expect(bare.events).toEqual([]);
    await vcsim.actions.exitMaintenance('DC0_H0', { user: 'frank', postEvents: false });
  });

  it('EventEx and ExtendedEvent: type from EventTypeId, eventclass eventex / extendedevent', async () => {
    const ex = await vcsim.actions.postEvent(
      {
        class: 'eventex',
        eventTypeId: 'com.vmware.vc.example.Happened',
        vm: 'DC0_H0_VM1',
        message: 'hi',
      },
      { user: 'gina' },
    );
    const ext = await vcsim.actions.postEvent(
      { class: 'extendedevent', eventTypeId: 'com.example.ext.Done', host: 'DC0_H0' },
      { user: 'gina' },
    );
    expect(ex.events.map((e) => [e.type, e.class])).toEqual([
      ['com.vmware.vsphere.UserLoginSessionEvent.v0', 'event'],
      ['com.vmware.vsphere.com.vmware.vc.example.Happened.v0', 'eventex'],
    ]);
    expect(ext.events.map((e) => [e.type, e.class])).toEqual([
      ['com.vmware.vsphere.com.example.ext.Done.v0', 'extendedevent'],
    ]);
    const exData = received(ex)[1]!;
    expect(exData).toMatchObject({
      EventTypeId: 'com.vmware.vc.example.Happened',
      ObjectId: vcsim.inventory.vms.DC0_H0_VM1,
      ObjectType: 'VirtualMachine',
    });
    expect(received(ext)[0]).toMatchObject({
      EventTypeId: 'com.example.ext.Done',
      ManagedObject: { Type: 'HostSystem', Value: vcsim.inventory.hosts.DC0_H0 },
    });
  });

  it('refuses what vSphere refuses, and bad requests, with the reason', async () => {
    const already = await vcsim.actions.powerOn('DC0_H0_VM0').catch((e: unknown) => e);
    expect(already).toBeInstanceOf(VcsimActionError);
    expect(already).toMatchObject({ status: 409, fault: 'InvalidPowerState' });
    expect((already as Error).message).toContain('the VM is poweredOn');

    await expect(vcsim.actions.powerOff('no-such-vm')).rejects.toMatchObject({
      name: 'VcsimActionError',
      status: 404,
    });
    await expect(vcsim.actions.clone('DC0_H0_VM0', '')).rejects.toMatchObject({ status: 400 });
    await expect(vcsim.source.addSink('ftp://example.org/')).rejects.toMatchObject({ status: 400 });
    await expect(vcsim.source.addSink(sink.url)).rejects.toMatchObject({ status: 409 });
    await expect(vcsim.source.removeSink('http://127.0.0.1:1/')).rejects.toMatchObject({
      status: 404,
    });
  });

  it('several sinks: each gets every event; a failing POST is retried with the same id; a removed sink gets nothing more', async () => {
    // The second sink refuses the first POST of each event.
    const flaky = await startReceiver((n) => (n === 1 ? 503 : 202));
    try {
      const added = await vcsim.source.addSink(flaky.url);
      expect(added.url).toBe(flaky.url);
      const result = await vcsim.actions.powerOff('DC0_H0_VM0', { user: 'henry' });
      expect(result.delivered).toBe(true);
      const ids = result.events.map((e) => e.id);
      for (const id of ids) {
        expect(sink.accepted(id)).toHaveLength(1);
        const copies = flaky.requests.filter((r) => r.headers['ce-id'] === id);
        expect(copies.map((r) => r.status)).toEqual([503, 202]);
        expect(copies[1]!.body).toBe(copies[0]!.body);
      }
      const flakyResults = result.deliveries.filter((d) => d.sink === flaky.url);
      expect(flakyResults.map((d) => [d.key, d.attempts, d.status, d.outcome])).toEqual(
        result.events.map((e) => [e.key, 2, 202, 'delivered']),
      );
      // The stderr log has one line per attempt.
      const lastKey = result.events.at(-1)!.key;
      const attempts = await vcsim.source.deliveries.waitFor((all) =>
        all.some((a) => a.sink === flaky.url && a.key === lastKey && a.outcome === 'delivered'),
      );
      expect(
        attempts
          .filter((a) => a.sink === flaky.url && ids.includes(a.id))
          .map((a) => [a.id, a.attempt, a.status, a.outcome]),
      ).toEqual(
        ids.flatMap((id) => [
          [id, 1, 503, 'retry'],
          [id, 2, 202, 'delivered'],
        ]),
      );

      await vcsim.source.removeSink(flaky.url);
      const before = flaky.requests.length;
      const after = await vcsim.actions.powerOn('DC0_H0_VM0', { user: 'henry' });
      expect(after.deliveries.map((d) => d.sink)).toEqual(after.events.map(() => sink.url));
      expect(received(after)).toHaveLength(2);
      expect(flaky.requests).toHaveLength(before);
    } finally {
      await flaky.close();
    }
  });

  it('gives up on an unreachable sink after the retries, without holding back the others', async () => {
    const gone = await startReceiver();
    const url = gone.url;
    await gone.close();
    await vcsim.source.addSink(url);
    try {
      const result = await vcsim.actions.powerOff('DC0_H0_VM0', { user: 'ivy' });
      expect(result.delivered).toBe(true);
      const failed = result.deliveries.filter((d) => d.sink === url);
      expect(failed.map((d) => [d.key, d.attempts, d.status, d.outcome])).toEqual(
        result.events.map((e) => [e.key, 3, 0, 'failed']),
      );
      expect(failed[0]!.error).toMatch(/connection refused/);
      expect(received(result)).toHaveLength(result.events.length);
    } finally {
      await vcsim.source.removeSink(url);
      await vcsim.actions.powerOn('DC0_H0_VM0', { user: 'ivy' });
    }
  });

  it('delivers to a sink one event at a time, in Key order, and every event once', () => {
    const ids = sink.requests.map((r) => Number(r.headers['ce-id']));
    expect(ids.length).toBeGreaterThan(20);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
    expect(vcsim.source.deliveries.source.filter((s) => s.state === 'gap')).toEqual([]);
  });
});

describe('vcsim source emulator: configured address, Knative retry policy, VEBA sample shape', () => {
  let vcsim: VcsimServer;
  let sink: Receiver;

  beforeAll(async () => {
    // Answers 400 to everything: under the knative policy that is final, as at a Trigger.
    sink = await startReceiver(() => 400);
    vcsim = await startVcsim({
      sinks: [sink.url],
      source: { address: 'vcsa.corp.local', retryOn: 'knative', retries: 2, backoffMs: 20 },
    });
  }, 300_000);

  afterAll(async () => {
    await vcsim?.stop();
    await sink?.close();
  });

  it('names the source https://<address>/sdk, does not retry a 400, and matches the VEBA sample event', async () => {
    expect(vcsim.source.address).toBe('https://vcsa.corp.local/sdk');
    const result = await vcsim.actions.powerOff('DC0_H0_VM0');
    expect(result.deliveries.map((d) => [d.attempts, d.status, d.outcome])).toEqual(
      result.events.map(() => [1, 400, 'failed']),
    );
    const poweredOff = sink.requests.find(
      (r) => r.headers['ce-type'] === 'com.vmware.vsphere.VmPoweredOffEvent.v0',
    );
    expect(poweredOff?.headers['ce-source']).toBe('https://vcsa.corp.local/sdk');

    // The sample from sources-for-knative's README (VSphereSource over vcsim): same attributes
    // (Knative's arrival time aside) and the same data fields.
    const sample = loadVebaFixture(
      'docs-extracted/tanzu-sources-for-knative-README__VmPoweredOffEvent',
    );
    const sampleAttributes = Object.keys(sample.attributes!)
      .filter((a) => a !== 'knativearrivaltime' && a !== 'datacontenttype')
      .map((a) => `ce-${a}`)
      .sort();
    expect(
      Object.keys(poweredOff!.headers)
        .filter((h) => h.startsWith('ce-'))
        .sort(),
    ).toEqual(sampleAttributes);
    expect(poweredOff!.headers['content-type']).toBe(sample.attributes!.datacontenttype);
    const data = JSON.parse(poweredOff!.body) as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(Object.keys(sample.data as object));
    expect(data.FullFormattedMessage).toBe(
      (sample.data as { FullFormattedMessage: string }).FullFormattedMessage,
    );
  });
});

describe('vcsim source emulator with session idle timeout', () => {
  let vcsim: VcsimServer;
  let sink: Receiver;
  const idleSeconds = 0.5;
  // vcsim checks each session every idleSeconds and deletes it once idle longer than that.
  const pastExpiry = () => new Promise((resolve) => setTimeout(resolve, idleSeconds * 2400));

  beforeAll(async () => {
    sink = await startReceiver();
    vcsim = await startVcsim({ sinks: [sink.url], idleTimeoutSeconds: idleSeconds });
  }, 300_000);

  afterAll(async () => {
    await vcsim?.stop();
    await sink?.close();
  });

  it('keeps following events while idle sessions expire, and logs an expired user in again', async () => {
    await pastExpiry();
    const first = await vcsim.actions.powerOff('DC0_H0_VM0', { user: 'zed' });
    await pastExpiry();
    const second = await vcsim.actions.powerOn('DC0_H0_VM0', { user: 'zed' });
    expect(first.events.map((e) => e.eventType)).toEqual([
      'UserLoginSessionEvent',
      'VmStoppingEvent',
      'VmPoweredOffEvent',
    ]);
    // zed's session expired in between: the driver logged in again, and vcsim recorded it.
    expect(second.events.map((e) => e.eventType)).toEqual([
      'UserLoginSessionEvent',
      'VmStartingEvent',
      'VmPoweredOnEvent',
    ]);
    for (const event of [...first.events, ...second.events]) {
      expect(sink.accepted(event.id)).toHaveLength(1);
    }
  });
});
