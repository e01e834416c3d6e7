import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { defineFunction, startFunction } from '@veba-functions/runtime';
import {
  createTempDir,
  freePort,
  launchProcess,
  redisCommand,
  startRedis,
} from '@veba-functions/test-helpers';
import { describe, expect, it } from 'vitest';
import {
  StateConfigError,
  createStateGuards,
  createStateStore,
  describeRedisEndpoint,
  readRedisConfig,
  redisConfigShape,
  resolveRedisEndpoint,
  type RedisConfig,
} from '../src/index.js';
import { captureLogger, SOURCE } from './support.js';

/** The error a config gives, asserting it is a StateConfigError that echoes none of `secrets`. */
function configError(config: RedisConfig, secrets: string[] = []): string {
  let caught: unknown;
  try {
    resolveRedisEndpoint(config);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(StateConfigError);
  const message = (caught as Error).message;
  for (const secret of secrets) expect(message).not.toContain(secret);
  return message;
}

describe('resolveRedisEndpoint', () => {
  it('is undefined (the memory store) when no Redis key is set', () => {
    expect(resolveRedisEndpoint({})).toBeUndefined();
    expect(resolveRedisEndpoint({ REDIS_URL: '  ', REDIS_TLS: false })).toBeUndefined();
  });

  it('reads one server, with credentials from their own keys and TLS from the scheme or REDIS_TLS', () => {
    expect(resolveRedisEndpoint({ REDIS_URL: 'redis://r:6379' })).toEqual({
      mode: 'single',
      url: 'redis://r:6379',
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(
      resolveRedisEndpoint({
        REDIS_URL: 'redis://r:6379/2',
        REDIS_USERNAME: 'fn',
        REDIS_PASSWORD: 'pw',
        REDIS_TLS: true,
      }),
    ).toMatchObject({ mode: 'single', username: 'fn', password: 'pw', tls: true });
    expect(resolveRedisEndpoint({ REDIS_URL: 'rediss://r:6380' })).toMatchObject({ tls: true });
  });

  it('reads Sentinel: host:port list (26379 by default, IPv6 in brackets) and the master name', () => {
    expect(
      resolveRedisEndpoint({
        REDIS_SENTINELS: ' s-0.sentinel:26380, s-1.sentinel ,[fd00::1]:5000,',
        REDIS_SENTINEL_MASTER: 'mymaster',
        REDIS_PASSWORD: 'data-pw',
        REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      }),
    ).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's-0.sentinel', port: 26380 },
        { host: 's-1.sentinel', port: 26379 },
        { host: 'fd00::1', port: 5000 },
      ],
      masterName: 'mymaster',
      username: undefined,
      password: 'data-pw',
      sentinelUsername: undefined,
      sentinelPassword: 'sentinel-pw',
      tls: false,
    });
  });

  it('reads Cluster nodes (6379 by default)', () => {
    expect(
      resolveRedisEndpoint({ REDIS_CLUSTER_NODES: 'c-0:7000,c-1', REDIS_TLS: true }),
    ).toMatchObject({
      mode: 'cluster',
      nodes: [
        { host: 'c-0', port: 7000 },
        { host: 'c-1', port: 6379 },
      ],
      tls: true,
    });
  });

  it('refuses conflicting or incomplete settings, naming the keys and never a value', () => {
    const secrets = ['hunter2', 'secret-host', 'mymaster-x'];
    expect(
      configError(
        { REDIS_URL: 'redis://:hunter2@secret-host:1', REDIS_CLUSTER_NODES: 'secret-host:2' },
        secrets,
      ),
    ).toMatch(/^REDIS_URL and REDIS_CLUSTER_NODES are set together/);
    expect(
      configError(
        {
          REDIS_URL: 'redis://secret-host',
          REDIS_SENTINELS: 'secret-host:1',
          REDIS_SENTINEL_MASTER: 'mymaster-x',
        },
        secrets,
      ),
    ).toMatch(/^REDIS_URL and REDIS_SENTINELS are set together/);
    expect(
      configError(
        {
          REDIS_SENTINELS: 'secret-host:1',
          REDIS_SENTINEL_MASTER: 'mymaster-x',
          REDIS_CLUSTER_NODES: 'secret-host:2',
        },
        secrets,
      ),
    ).toMatch(/^REDIS_SENTINELS and REDIS_CLUSTER_NODES are set together/);
    expect(configError({ REDIS_SENTINELS: 'secret-host:1' }, secrets)).toMatch(
      /REDIS_SENTINELS is set without REDIS_SENTINEL_MASTER/,
    );
    expect(configError({ REDIS_SENTINEL_MASTER: 'mymaster-x' }, secrets)).toMatch(
      /REDIS_SENTINEL_MASTER is set without REDIS_SENTINELS/,
    );
    expect(
      configError(
        { REDIS_CLUSTER_NODES: 'secret-host:2', REDIS_SENTINEL_PASSWORD: 'hunter2' },
        secrets,
      ),
    ).toMatch(/REDIS_SENTINEL_PASSWORD set without REDIS_SENTINELS/);
    expect(configError({ REDIS_PASSWORD: 'hunter2', REDIS_USERNAME: 'x' }, secrets)).toMatch(
      /REDIS_USERNAME and REDIS_PASSWORD set, but no Redis is/,
    );
    expect(configError({ REDIS_TLS: true })).toMatch(/REDIS_TLS set, but no Redis is/);
    expect(
      configError(
        { REDIS_URL: 'redis://:hunter2@secret-host', REDIS_PASSWORD: 'hunter2' },
        secrets,
      ),
    ).toMatch(/REDIS_PASSWORD and a password inside REDIS_URL/);
    expect(
      configError({ REDIS_URL: 'redis://u@secret-host', REDIS_USERNAME: 'u' }, secrets),
    ).toMatch(/REDIS_USERNAME and a user name inside REDIS_URL/);
    expect(configError({ REDIS_URL: 'rediss://secret-host', REDIS_TLS: false }, secrets)).toMatch(
      /REDIS_TLS is false but REDIS_URL uses rediss/,
    );
    expect(configError({ REDIS_URL: 'http://:hunter2@secret-host' }, secrets)).toMatch(
      /REDIS_URL must start with redis:\/\/ or rediss:\/\//,
    );
    expect(configError({ REDIS_CLUSTER_NODES: 'c-0:7000,secret-host:99999' }, secrets)).toMatch(
      /REDIS_CLUSTER_NODES: entry 2 is not host:port/,
    );
    expect(
      configError({ REDIS_SENTINELS: ' , ', REDIS_SENTINEL_MASTER: 'mymaster-x' }, secrets),
    ).toMatch(/REDIS_SENTINELS lists no host:port/);
  });

  it('describes an endpoint without credentials', () => {
    const describe = (config: RedisConfig) => describeRedisEndpoint(resolveRedisEndpoint(config)!);
    expect(describe({ REDIS_URL: 'rediss://u:hunter2@r:6380/1' })).toBe('rediss://r:6380/1');
    expect(describe({ REDIS_URL: 'redis://r:6379', REDIS_TLS: true })).toBe('redis://r:6379 (TLS)');
    expect(
      describe({
        REDIS_SENTINELS: 's:1,[::1]:2',
        REDIS_SENTINEL_MASTER: 'm',
        REDIS_SENTINEL_PASSWORD: 'hunter2',
      }),
    ).toBe('sentinel master m via s:1,[::1]:2');
    expect(describe({ REDIS_CLUSTER_NODES: 'c:1', REDIS_PASSWORD: 'hunter2' })).toBe('cluster c:1');
  });

  it('is what createStateStore and the guards go by', async () => {
    expect(createStateStore({ redis: { REDIS_TLS: false }, logger: captureLogger() }).kind).toBe(
      'memory',
    );
    const store = createStateStore({
      redis: { REDIS_CLUSTER_NODES: '127.0.0.1:1' },
      logger: captureLogger(),
    });
    expect(store.kind).toBe('redis');
    await store.close();
    expect(() =>
      createStateStore({
        redisUrl: 'redis://127.0.0.1:1',
        redis: { REDIS_CLUSTER_NODES: '127.0.0.1:2' },
        logger: captureLogger(),
      }),
    ).toThrow(/REDIS_URL and REDIS_CLUSTER_NODES are set together/);
    expect(readRedisConfig({ REDIS_TLS: 'yes', OTHER: 1 })).toMatchObject({ REDIS_TLS: true });
    expect(() => readRedisConfig({ REDIS_TLS: 'maybe' })).toThrow(/REDIS_TLS/);
  });
});

describe('the Redis keys through the runtime', () => {
  it('come from a JSON secret variable, and credentials are scrubbed from every log line', async () => {
    const redis = await startRedis({ dedicated: true });
    const user = 'veba-fn-user-7q';
    const password = 'pw-0f3c9a71e2';
    // An ACL user, so a username is needed as well as a password.
    expect(
      await redisCommand(redis.port, ['ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '+@all']),
    ).toBe('OK');
    const lines: string[] = [];
    const handled: string[] = [];
    const fn = defineFunction({
      name: 'redis-secret-test',
      config: redisConfigShape,
      secretVariables: ['REDIS_SECRET'],
      guards: createStateGuards({ dedupe: true, storeOptions: { keyPrefix: redis.keyPrefix } }),
      init({ config, logger }) {
        // A careless log line: the runtime must scrub both values.
        logger.info(
          { user: config.REDIS_USERNAME, pw: config.REDIS_PASSWORD },
          'redis credentials',
        );
      },
      handle(event) {
        handled.push(event.id);
      },
    });
    const env = (pw: string) => ({
      REDIS_SECRET: JSON.stringify({
        REDIS_URL: redis.url,
        REDIS_USERNAME: user,
        REDIS_PASSWORD: pw,
      }),
    });
    try {
      const running = await startFunction(fn, {
        env: env(password),
        port: 0,
        host: '127.0.0.1',
        logDestination: { write: (line: string) => void lines.push(line) },
      });
      try {
        const post = () =>
          fetch(running.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'ce-specversion': '1.0',
              'ce-id': '77',
              'ce-source': SOURCE,
              'ce-type': 'com.vmware.vsphere.VmPoweredOnEvent.v0',
            },
            body: JSON.stringify({ Key: 77 }),
          });
        expect((await post()).status).toBe(204);
        expect((await post()).status).toBe(200);
        expect(handled).toEqual(['77']);
      } finally {
        await running.stop();
      }

      // A wrong password fails init with the server's reason, again without the values.
      await expect(
        startFunction(fn, {
          env: env('pw-wrong-5d1b'),
          port: 0,
          host: '127.0.0.1',
          logDestination: { write: (line: string) => void lines.push(line) },
        }),
      ).rejects.toThrow();
      const text = lines.join('');
      expect(text).toContain('redis credentials');
      expect(text).toMatch(/WRONGPASS|invalid username-password/);
      for (const value of [user, password, 'pw-wrong-5d1b']) expect(text).not.toContain(value);
    } finally {
      await redis.stop();
    }
  });
});

describe('REDIS_TLS', () => {
  it('connects over TLS to a redis:// URL, with the CA from redisOptions.tls; refuses plain text', async () => {
    const dir = createTempDir('veba-redis-tls-');
    const port = await freePort();
    const cert = join(dir.path, 'cert.pem');
    const key = join(dir.path, 'key.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    const server = await launchProcess({
      name: 'redis-server (TLS)',
      command: '/usr/bin/redis-server',
      args: [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--dir',
        dir.path,
        '--tls-cert-file',
        cert,
        '--tls-key-file',
        key,
        '--tls-ca-cert-file',
        cert,
        '--tls-auth-clients',
        'no',
      ],
      // Ready once it completes a TLS handshake.
      ready: () =>
        new Promise<boolean>((resolve) => {
          const socket = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(cert) }, () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        }),
    });
    const ca = readFileSync(cert);
    try {
      const tls = createStateStore({
        redis: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TLS: true },
        redisOptions: { tls: { ca } },
        logger: captureLogger(),
      });
      await tls.start();
      expect(
        await tls.claim('k', { owner: 'a', leaseMs: 1000, ttlMs: 1000, fingerprint: '' }),
      ).toEqual({
        status: 'claimed',
        takeover: false,
      });
      await tls.close();

      const plain = createStateStore({
        redis: { REDIS_URL: `redis://127.0.0.1:${port}` },
        connectTimeoutMs: 1000,
        logger: captureLogger(),
      });
      await expect(plain.start()).rejects.toThrow(/cannot reach redis:\/\/127\.0\.0\.1/);
      await plain.close();
    } finally {
      await server.kill();
      dir.remove();
    }
  });
});

describe('unreachable topologies', () => {
  it.each([
    [
      { REDIS_SENTINELS: '127.0.0.1:1', REDIS_SENTINEL_MASTER: 'm' },
      /sentinel master m via 127\.0\.0\.1:1/,
    ],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:1' }, /cluster 127\.0\.0\.1:1/],
  ])('fail start within the connect timeout, naming the endpoint: %j', async (config, where) => {
    const logger = captureLogger();
    const store = createStateStore({
      redis: { ...config, REDIS_PASSWORD: 'hunter2' },
      connectTimeoutMs: 500,
      logger,
    });
    const started = store.start();
    await expect(started).rejects.toThrow(where);
    await expect(started).rejects.toThrow(/cannot reach/);
    await expect(started).rejects.not.toThrow(/hunter2/);
    await store.close();
    expect(JSON.stringify(logger.lines)).not.toContain('hunter2');
  });
});
