import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  fixturesDir,
  listVebaFixtures,
  loadVebaFixture,
  loadVebaFixtures,
  vebaFixtureIndex,
  vebaFixturesDir,
  type VebaIndexEntry,
} from '../src/fixtures.js';

const index = vebaFixtureIndex();
const entryOf = (file: string): VebaIndexEntry | undefined =>
  index.find((entry) => entry.file === file);
const V0 = /^com\.vmware\.vsphere\.\S+\.v0$/;

describe('the VEBA corpus', () => {
  it('lists every file on disk, and index.json describes exactly those files', () => {
    const files = listVebaFixtures();
    expect(files.length).toBeGreaterThanOrEqual(50);
    expect(files).toEqual([...index.map((entry) => entry.file)].sort());
  });

  it('resolves fixturesDir inside this package', () => {
    expect(fixturesDir).toBe(join(import.meta.dirname, '..', 'fixtures'));
    expect(vebaFixturesDir).toBe(join(fixturesDir, 'veba-events'));
  });

  it('resolves the same folder from the built dist module (npm run build first)', async () => {
    const built = (await import(
      pathToFileURL(join(import.meta.dirname, '..', 'dist', 'fixtures.js')).href
    )) as {
      fixturesDir: string;
      listVebaFixtures(): string[];
    };
    expect(built.fixturesDir).toBe(fixturesDir);
    expect(built.listVebaFixtures()).toEqual(listVebaFixtures());
  });
});

describe('loadVebaFixture over every corpus file', () => {
  it.each(listVebaFixtures())('%s', (file) => {
    // Prepare: what index.json says about the file
    const entry = entryOf(file);
    expect(entry, 'every file has an index entry').toBeDefined();
    const headers = entry?.ce_headers_from_send_script;
    const body = readFileSync(join(vebaFixturesDir, file), 'utf8');

    // Act
    const fixture = loadVebaFixture(file);

    // Assess
    expect(fixture.file).toBe(file);
    expect(fixture.body).toBe(body);
    expect(fixture.eventType).toBe(entry?.event_type);
    if (fixture.valid) {
      expect(fixture.reason).toBeUndefined();
      for (const name of ['specversion', 'id', 'source', 'type'])
        expect(fixture.attributes?.[name]).toBeTruthy();
      expect(fixture.event).toEqual({ ...fixture.attributes, data: fixture.data });
    } else {
      expect(fixture.reason).toMatch(/\S{3,}/);
      expect(fixture.event).toBeUndefined();
    }

    if (entry?.valid_json === false) {
      expect(fixture.valid).toBe(false);
      expect(fixture.reason).toMatch(/^not valid JSON: /);
      expect(fixture.data).toBeUndefined();
      return;
    }
    const parsed = JSON.parse(body) as Record<string, unknown>;

    if (headers !== undefined) {
      // a data-only PowerShell body: the send script's headers become the attributes
      expect(fixture.mode).toBe('binary');
      expect(fixture.valid).toBe(true);
      expect(fixture.data).toEqual(parsed);
      for (const [header, value] of Object.entries(headers)) {
        const name = header.slice('ce-'.length);
        if (
          name === 'type' &&
          V0.test(value) &&
          entry?.event_type !== undefined &&
          V0.test(entry.event_type)
        ) {
          expect(fixture.attributes?.['type']).toBe(entry.event_type);
        } else {
          expect(fixture.attributes?.[name]).toBe(value);
        }
      }
    } else if (entry?.ce !== undefined || (entry?.mode === undefined && 'data' in parsed)) {
      // a structured CloudEvent: attributes and data as they are in the file
      expect(fixture.mode).toBe('structured');
      expect(fixture.data).toEqual(parsed['data']);
      const { data: _data, ...attributes } = parsed;
      expect(fixture.attributes).toEqual(attributes);
      for (const [name, value] of Object.entries(entry?.ce ?? {}))
        expect(fixture.attributes?.[name]).toBe(value);
      const missing = ['specversion', 'id', 'source', 'type'].filter(
        (name) => !(name in attributes),
      );
      if (missing.length === 0) expect(fixture.valid).toBe(true);
      else expect(fixture.reason).toBe(`missing CloudEvent attribute(s): ${missing.join(', ')}`);
    } else {
      // a bare body nobody recorded attributes for (Go unit-test inputs, raw webhook bodies, ...)
      expect(fixture.mode).toBe('data-only');
      expect(fixture.valid).toBe(false);
      expect(fixture.reason).toMatch(/^a bare body without CloudEvent attributes/);
      expect(fixture.data).toEqual(parsed);
    }
  });
});

describe('the known defects', () => {
  it('rejects the two REPLACE-ME files as invalid JSON, keeping their send-script attributes', () => {
    const invalid = loadVebaFixtures().filter((fixture) =>
      fixture.reason?.startsWith('not valid JSON'),
    );
    expect(invalid.map((fixture) => fixture.file).sort()).toEqual([
      'kn-pcli-template__test-payload.json',
      'kn-pcli-vds-config__test-payload.json',
    ]);
    for (const fixture of invalid) {
      expect(fixture.reason).toContain('REPLACE-ME');
      expect(fixture.attributes?.['type']).toBe('com.vmware.vsphere.DvsReconfiguredEvent.v0');
    }
  });

  it('names the attributes a legacy negative case lacks', () => {
    expect(loadVebaFixture('legacy/openfaas-pagerduty-trigger__invalid-event-1.json').reason).toBe(
      'missing CloudEvent attribute(s): specversion, source',
    );
    const nullMoref = loadVebaFixture('legacy/openfaas-vm-reconfig-via-tag__invalid-event-1');
    expect(nullMoref.reason).toBe('missing CloudEvent attribute(s): specversion, id, source, type');
    expect(nullMoref.data).toEqual({ Vm: { Vm: { Value: null, Type: null } } });
  });

  it('keeps the 0.3 spec version of the vRO sample for the parser to reject', () => {
    const fixture = loadVebaFixture('kn-py-vro__testevent.json');
    expect(fixture.valid).toBe(true);
    expect(fixture.attributes?.['specversion']).toBe('0.3');
  });

  it('sends the host-maintenance exit payload with the Exit type the index names', () => {
    expect(
      loadVebaFixture('kn-pcli-hostmaint-alarms__exit-maint-payload.json').attributes?.['type'],
    ).toBe('com.vmware.vsphere.ExitMaintenanceModeEvent.v0');
    expect(
      loadVebaFixture('kn-pcli-hostmaint-alarms__enter-maint-payload.json').attributes?.['type'],
    ).toBe('com.vmware.vsphere.EnteredMaintenanceModeEvent.v0');
  });

  it('adds datacontenttype to binary fixtures and keeps legacy subjects', () => {
    const fixture = loadVebaFixture('kn-ps-zapier__test-payload.json');
    expect(fixture.attributes).toMatchObject({
      type: 'com.vmware.event.router/eventex',
      subject: 'com.vmware.sso.LoginFailure',
      datacontenttype: 'application/json',
    });
  });
});

describe('loadVebaFixture paths', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'veba-fixtures-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('accepts a name without .json and an absolute path inside the corpus', () => {
    const byName = loadVebaFixture('kn-py-echo__testevent');
    const byPath = loadVebaFixture(join(vebaFixturesDir, 'kn-py-echo__testevent.json'));
    expect(byName.file).toBe('kn-py-echo__testevent.json');
    expect(byPath).toEqual(byName);
  });

  it('throws for an unknown file and for a path leaving the corpus', () => {
    expect(() => loadVebaFixture('no-such-file.json')).toThrow(
      /unknown VEBA fixture 'no-such-file.json'/,
    );
    expect(() => loadVebaFixture('../package.json')).toThrow(/outside/);
  });

  it('loads an unindexed file by its content', () => {
    const structured = join(tmp, 'structured.json');
    writeFileSync(
      structured,
      JSON.stringify({ specversion: '1.0', id: '1', source: 's', type: 't', data: { a: 1 } }),
    );
    const bare = join(tmp, 'bare.json');
    writeFileSync(bare, JSON.stringify({ Key: 1 }));
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, '{ "Key": ');

    expect(loadVebaFixture(structured)).toMatchObject({
      file: structured,
      mode: 'structured',
      valid: true,
      data: { a: 1 },
    });
    expect(loadVebaFixture(bare)).toMatchObject({
      mode: 'data-only',
      valid: false,
      reason: 'a bare JSON body without CloudEvent attributes',
    });
    expect(loadVebaFixture(broken)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/^not valid JSON/) as unknown,
    });
  });
});
