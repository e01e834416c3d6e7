import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  createVCenterClient,
  DEFAULT_SECRET_PATH,
  parseServer,
  vcenterConfig,
  vcenterGoExampleConfig,
  vcenterOptionsFromConfig,
  VCenterError,
} from '../src/index.js';

const schema = z.object(vcenterConfig);
const base = {
  VCENTER_SERVER: 'vc01.corp.local',
  VCENTER_USERNAME: 'administrator@vsphere.local',
  VCENTER_PASSWORD: 'pw',
};

describe('VCENTER_SERVER', () => {
  it.each([
    ['vc01.corp.local', 'https://vc01.corp.local'],
    ['vc01.corp.local:8443', 'https://vc01.corp.local:8443'],
    ['https://vc-prod-01.corp.local', 'https://vc-prod-01.corp.local'],
    ['https://vc-prod-01.corp.local/', 'https://vc-prod-01.corp.local'],
    ['https://vc-prod-01.corp.local:443/sdk', 'https://vc-prod-01.corp.local'],
    [' 10.0.0.5 ', 'https://10.0.0.5'],
    ['[fd00::5]:8443', 'https://[fd00::5]:8443'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ])('%s -> %s', (server, origin) => {
    expect(parseServer(server).origin).toBe(origin);
    const options = vcenterOptionsFromConfig(schema.parse({ ...base, VCENTER_SERVER: server }));
    expect(parseServer(options.server).origin).toBe(origin);
  });

  it.each(['', '   ', 'ftp://vc01', 'https://user:pw@vc01', 'https://vc 01'])(
    'rejects %j with INVALID_OPTIONS',
    (server) => {
      expect(() => parseServer(server)).toThrow(VCenterError);
      try {
        parseServer(server);
      } catch (error) {
        expect(error).toMatchObject({ vapiType: 'INVALID_OPTIONS', retryable: false });
        expect((error as Error).message).not.toContain('pw@');
      }
    },
  );
});

describe('certificate checking', () => {
  it('verifies by default', () => {
    expect(vcenterOptionsFromConfig(schema.parse(base)).insecure).toBe(false);
  });

  it.each([
    [{ VCENTER_CERTIFICATE_ACTION: 'Ignore' }, true],
    [{ VCENTER_CERTIFICATE_ACTION: 'ignore' }, true],
    [{ VCENTER_CERTIFICATE_ACTION: 'Fail' }, false],
    [{ VCENTER_INSECURE: 'true' }, true],
    [{ VCENTER_INSECURE: 'TRUE' }, true],
    [{ VCENTER_INSECURE: true }, true],
    [{ VCENTER_INSECURE: '1' }, true],
    [{ VCENTER_INSECURE: 'false' }, false],
    [{ VCENTER_INSECURE: false, VCENTER_CERTIFICATE_ACTION: 'Ignore' }, true],
  ])(
    '%j -> insecure %s (VCENTER_CERTIFICATE_ACTION=Ignore is VCENTER_INSECURE=true)',
    (extra, insecure) => {
      expect(vcenterOptionsFromConfig(schema.parse({ ...base, ...extra })).insecure).toBe(insecure);
    },
  );

  it('rejects unknown values with the key in the error', () => {
    const action = schema.safeParse({ ...base, VCENTER_CERTIFICATE_ACTION: 'Prompt' });
    expect(action.success).toBe(false);
    expect(action.error?.issues[0]?.path).toEqual(['VCENTER_CERTIFICATE_ACTION']);
    const insecure = schema.safeParse({ ...base, VCENTER_INSECURE: 'maybe' });
    expect(insecure.error?.issues[0]?.path).toEqual(['VCENTER_INSECURE']);
  });

  it('VCENTER_CA_FILE is read when the client is created; a wrong path fails with INVALID_OPTIONS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vcenter-ca-'));
    const good = join(dir, 'ca.pem');
    writeFileSync(good, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(vcenterOptionsFromConfig(schema.parse({ ...base, VCENTER_CA_FILE: good })).ca).toBe(
      good,
    );
    expect(() =>
      createVCenterClient(
        vcenterOptionsFromConfig(
          schema.parse({ ...base, VCENTER_CA_FILE: join(dir, 'missing.pem') }),
        ),
      ),
    ).toThrow(/cannot read the CA file/);
    expect(() =>
      createVCenterClient(
        vcenterOptionsFromConfig(schema.parse({ ...base, VCENTER_CA_FILE: notPem })),
      ),
    ).toThrow(/no PEM certificate/);
  });
});

describe('other keys', () => {
  it('defaults: auto flavour, 5 min keep-alive, 30 s timeout, no tag creation', () => {
    expect(vcenterOptionsFromConfig(schema.parse(base))).toMatchObject({
      server: 'vc01.corp.local',
      username: 'administrator@vsphere.local',
      password: 'pw',
      flavour: 'auto',
      keepAliveIntervalMs: 300_000,
      requestTimeoutMs: 30_000,
      createMissingTags: false,
    });
  });

  it('reads numbers and flags from strings, as environment variables and JSON secrets hold them', () => {
    const options = vcenterOptionsFromConfig(
      schema.parse({
        ...base,
        VCENTER_API_FLAVOUR: 'REST',
        VCENTER_KEEPALIVE_SECONDS: '60',
        VCENTER_REQUEST_TIMEOUT_SECONDS: 2.5,
        VCENTER_CREATE_MISSING_TAGS: 'yes',
      }),
    );
    expect(options).toMatchObject({
      flavour: 'rest',
      keepAliveIntervalMs: 60_000,
      requestTimeoutMs: 2_500,
      createMissingTags: true,
    });
  });

  it('requires server, username and password', () => {
    const result = schema.safeParse({});
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path[0]).sort()).toEqual([
      'VCENTER_PASSWORD',
      'VCENTER_SERVER',
      'VCENTER_USERNAME',
    ]);
  });

  it('extra options (logger, metrics) pass through', () => {
    const options = vcenterOptionsFromConfig(schema.parse(base), { maxSockets: 4 });
    expect(options.maxSockets).toBe(4);
  });

  it('createVCenterClient rejects bad options with INVALID_OPTIONS', () => {
    const ok = { server: 'vc01', username: 'u', password: 'p' };
    expect(() => createVCenterClient({ ...ok, password: '' })).toThrow(/password is empty/);
    expect(() => createVCenterClient({ ...ok, requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs/);
    expect(() => createVCenterClient({ ...ok, keepAliveIntervalMs: -1 })).toThrow(
      /keepAliveIntervalMs/,
    );
    expect(() => createVCenterClient({ ...ok, flavour: 'soap' as 'api' })).toThrow(/flavour/);
  });
});

describe("kn-go-tagging's keys (vcenterGoExampleConfig)", () => {
  const goSchema = z.object({ ...vcenterConfig, ...vcenterGoExampleConfig });

  /** A folder as Kubernetes mounts a basic-auth Secret: one file per key. */
  function mountedSecret(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'vsphere-credentials-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it('takes the server from VCENTER_URL and the credentials from the files in VCENTER_SECRET_PATH', () => {
    const dir = mountedSecret({ username: 'administrator@vsphere.local', password: 's3cret\n' });
    const options = vcenterOptionsFromConfig(
      goSchema.parse({ VCENTER_URL: 'https://vc01.corp.local', VCENTER_SECRET_PATH: dir }),
    );
    expect(options).toMatchObject({
      server: 'https://vc01.corp.local',
      username: 'administrator@vsphere.local',
      password: 's3cret',
    });
  });

  it('the individual keys win over VCENTER_URL and the files', () => {
    const dir = mountedSecret({ username: 'from-file', password: 'from-file' });
    const options = vcenterOptionsFromConfig(
      goSchema.parse({ ...base, VCENTER_URL: 'https://other', VCENTER_SECRET_PATH: dir }),
    );
    expect(options).toMatchObject({
      server: base.VCENTER_SERVER,
      username: base.VCENTER_USERNAME,
      password: base.VCENTER_PASSWORD,
    });
  });

  it('names each missing key and where it was looked for, never a value', () => {
    const dir = mountedSecret({ username: 'only-user' });
    const error = (() => {
      try {
        vcenterOptionsFromConfig(goSchema.parse({ VCENTER_SECRET_PATH: dir }));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ name: 'ConfigError' });
    expect(error?.message).toContain(
      'VCENTER_SERVER: missing (looked in VCENTER_SERVER and VCENTER_URL)',
    );
    expect(error?.message).toContain(
      `VCENTER_PASSWORD: missing (looked in VCENTER_PASSWORD and the file ${join(dir, 'password')}`,
    );
    expect(error?.message).not.toContain('only-user');
  });

  it(`looks in ${DEFAULT_SECRET_PATH} (kn-go-tagging's mount path) when VCENTER_SECRET_PATH is unset`, () => {
    expect(() =>
      vcenterOptionsFromConfig(goSchema.parse({ VCENTER_URL: 'https://vc01.corp.local' })),
    ).toThrow(`the file ${join(DEFAULT_SECRET_PATH, 'username')}`);
  });
});
