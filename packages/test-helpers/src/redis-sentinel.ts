import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, type LaunchedProcess } from './child-process.js';
import { redisCommand, redisInfo, type RedisReply } from './redis-command.js';
import {
  DEFAULT_REDIS_BINARY,
  RedisHelperError,
  launchOnFreePort,
  uniqueKeyPrefix,
} from './redis.js';

export interface RedisAddress {
  readonly host: string;
  readonly port: number;
}

/** A master, its replicas and the sentinels watching them, started for one test file. */
export interface RedisSentinelTopology {
  /** The name the sentinels monitor the master under: the value for `REDIS_SENTINEL_MASTER`. */
  readonly masterName: string;
  readonly sentinels: readonly RedisAddress[];
  /** `127.0.0.1:<port>,...`: the value for `REDIS_SENTINELS`. */
  readonly sentinelAddresses: string;
  /** A prefix unique to this call. */
  readonly keyPrefix: string;
  /** The master the first answering sentinel names now. */
  master(): Promise<RedisAddress>;
  /**
   * SIGKILLs the current master (nothing flushed, connections reset): a crashed node. First waits
   * until the sentinels know each other, so they can agree on the failover.
   */
  killMaster(): Promise<RedisAddress>;
  /**
   * Resolves once every sentinel names a master other than `previous` and that node answers
   * `ROLE` as master; rejects after `timeoutMs` (default 15 000).
   */
  waitForFailover(previous: RedisAddress, timeoutMs?: number): Promise<RedisAddress>;
  /** Stops every process and removes the data directories. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisSentinelOptions {
  /** Default 1. */
  replicas?: number;
  /** Default 3 (quorum: a majority). */
  sentinels?: number;
  /** Default `veba-test`. */
  masterName?: string;
  /** `sentinel down-after-milliseconds`: how long the master must be silent to be down. Default 500. */
  downAfterMs?: number;
  /** `sentinel failover-timeout`; a failed election is retried after twice this. Default 1000. */
  failoverTimeoutMs?: number;
  /** Defaults to `/usr/bin/redis-server` (run with `--sentinel` for the sentinels). */
  binary?: string;
  /** Milliseconds for every process to start and the sentinels to know each other. Default 20 000. */
  startTimeoutMs?: number;
}

// A full sync waits repl-diskless-sync-delay (5 s by default) for more replicas to join it.
const NO_SYNC_DELAY = ['--repl-diskless-sync-delay', '0'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `SENTINEL REPLICAS` / `SENTINELS` entries: flat `[field, value, ...]` arrays. */
function records(reply: RedisReply): Array<Map<string, string>> {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry) => {
    const fields = new Map<string, string>();
    if (Array.isArray(entry))
      for (let i = 0; i + 1 < entry.length; i += 2)
        fields.set(String(entry[i]), String(entry[i + 1]));
    return fields;
  });
}

/**
 * Starts a master, `replicas` replicas (`--replicaof`) and `sentinels` sentinels
 * (`redis-server <conf> --sentinel`) on loopback, always dedicated. Failure detection is tuned
 * short (`downAfterMs`, `failoverTimeoutMs`) so a failover takes a few seconds. Ready once the
 * replicas are in sync and every sentinel sees the master and every replica. The sentinels find
 * each other through hello messages every 2 s, which a failover needs (quorum, leader election):
 * `killMaster()` waits for that. See https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
 *
 * @example
 * const topology = await startRedisSentinel();
 * env: { REDIS_SENTINELS: topology.sentinelAddresses, REDIS_SENTINEL_MASTER: topology.masterName }
 * await topology.waitForFailover(await topology.killMaster());
 */
export async function startRedisSentinel(
  options: StartRedisSentinelOptions = {},
): Promise<RedisSentinelTopology> {
  const replicaCount = options.replicas ?? 1;
  const sentinelCount = options.sentinels ?? 3;
  if (!Number.isInteger(replicaCount) || replicaCount < 0 || replicaCount > 8)
    throw new RedisHelperError('replicas must be an integer from 0 to 8');
  if (!Number.isInteger(sentinelCount) || sentinelCount < 1 || sentinelCount > 9)
    throw new RedisHelperError('sentinels must be an integer from 1 to 9');
  const masterName = options.masterName ?? 'veba-test';
  const binary = options.binary ?? DEFAULT_REDIS_BINARY;
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const deadline = Date.now() + startTimeoutMs;
  const dir = createTempDir('veba-redis-sentinel-');
  const dataNodes = new Map<number, LaunchedProcess>();
  const sentinelProcesses: LaunchedProcess[] = [];
  const stopAll = async () => {
    await Promise.all([...sentinelProcesses, ...dataNodes.values()].map((p) => p.kill()));
    dir.remove();
  };
  const subdir = (name: string) => {
    const path = join(dir.path, name);
    mkdirSync(path);
    return path;
  };
  const waitUntil = async (what: string, check: () => Promise<boolean>, until = deadline) => {
    let lastError: unknown;
    for (;;) {
      try {
        if (await check()) return;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > until) {
        const why = lastError instanceof Error ? ` (${lastError.message})` : '';
        throw new RedisHelperError(`${what} did not happen in time${why}`, { cause: lastError });
      }
      await sleep(100);
    }
  };

  try {
    const masterDir = subdir('master');
    const master = await launchOnFreePort((port) => ({
      binary,
      port,
      dir: masterDir,
      startTimeoutMs,
      name: `redis-server master :${port}`,
      extraArgs: NO_SYNC_DELAY,
    }));
    dataNodes.set(master.port, master.process);

    const replicas = await Promise.all(
      Array.from({ length: replicaCount }, async (_, i) => {
        const replicaDir = subdir(`replica-${i}`);
        const replica = await launchOnFreePort((port) => ({
          binary,
          port,
          dir: replicaDir,
          startTimeoutMs,
          name: `redis-server replica ${i} :${port}`,
          extraArgs: [...NO_SYNC_DELAY, '--replicaof', '127.0.0.1', String(master.port)],
        }));
        dataNodes.set(replica.port, replica.process);
        return replica.port;
      }),
    );
    await waitUntil('replica sync', async () => {
      const links = await Promise.all(
        replicas.map(async (port) =>
          (await redisInfo(port, 'replication')).get('master_link_status'),
        ),
      );
      return links.every((status) => status === 'up');
    });

    const quorum = Math.floor(sentinelCount / 2) + 1;
    const sentinels = await Promise.all(
      Array.from({ length: sentinelCount }, async (_, i) => {
        const sentinelDir = subdir(`sentinel-${i}`);
        const conf = join(sentinelDir, 'sentinel.conf');
        // Sentinel rewrites its config file (discovered peers, epochs), so each gets its own.
        writeFileSync(
          conf,
          [
            `sentinel monitor ${masterName} 127.0.0.1 ${master.port} ${quorum}`,
            `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 500}`,
            `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 1000}`,
            `sentinel parallel-syncs ${masterName} 1`,
            '',
          ].join('\n'),
        );
        const sentinel = await launchOnFreePort((port) => ({
          binary,
          port,
          dir: sentinelDir,
          configFile: conf,
          startTimeoutMs,
          name: `redis-sentinel ${i} :${port}`,
          extraArgs: ['--sentinel'],
        }));
        sentinelProcesses.push(sentinel.process);
        return { host: '127.0.0.1', port: sentinel.port };
      }),
    );

    // Ready for clients once every sentinel names the master and sees every replica (from the
    // master's INFO, at once). Finding each other takes hello messages, sent every 2 s: only a
    // failover needs that (quorum, leader election), so killMaster() waits for it instead.
    const sentinelsSee = (needPeers: boolean) => async () => {
      const views = await Promise.all(
        sentinels.map(async (s) => {
          const peers = records(await redisCommand(s.port, ['SENTINEL', 'SENTINELS', masterName]));
          const known = records(await redisCommand(s.port, ['SENTINEL', 'REPLICAS', masterName]));
          const healthy = known.filter((r) => r.get('flags') === 'slave').length;
          return healthy === replicaCount && (!needPeers || peers.length === sentinelCount - 1);
        }),
      );
      return views.every(Boolean);
    };
    await waitUntil('sentinels seeing the replicas', sentinelsSee(false));
    let quorate: Promise<void> | undefined;
    const waitForQuorum = () =>
      (quorate ??= waitUntil(
        'sentinel discovery',
        sentinelsSee(true),
        Date.now() + startTimeoutMs,
      ));

    const askSentinel = async (s: RedisAddress): Promise<RedisAddress> => {
      const reply = await redisCommand(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName]);
      if (!Array.isArray(reply) || reply.length < 2)
        throw new RedisHelperError(`sentinel :${s.port} names no master`);
      return { host: String(reply[0]), port: Number(reply[1]) };
    };
    const currentMaster = async (): Promise<RedisAddress> => {
      let lastError: unknown;
      for (const s of sentinels) {
        try {
          return await askSentinel(s);
        } catch (error) {
          lastError = error;
        }
      }
      throw new RedisHelperError('no sentinel answered', { cause: lastError });
    };

    let stopped: Promise<void> | undefined;
    return {
      masterName,
      sentinels,
      sentinelAddresses: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      keyPrefix: uniqueKeyPrefix(),
      master: currentMaster,
      async killMaster() {
        await waitForQuorum();
        const address = await currentMaster();
        const process = dataNodes.get(address.port);
        if (!process) throw new RedisHelperError(`no process of this topology on :${address.port}`);
        await process.kill();
        return address;
      },
      async waitForFailover(previous, timeoutMs = 15_000) {
        let promoted: RedisAddress | undefined;
        await waitUntil(
          'failover',
          async () => {
            const named = await Promise.all(sentinels.map(askSentinel));
            const candidate = named[0]!;
            if (candidate.port === previous.port) return false;
            if (!named.every((a) => a.port === candidate.port)) return false;
            const role = await redisCommand(candidate.port, ['ROLE']);
            if (!Array.isArray(role) || role[0] !== 'master') return false;
            promoted = candidate;
            return true;
          },
          Date.now() + timeoutMs,
        );
        return promoted!;
      },
      stop() {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    if (error instanceof RedisHelperError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new RedisHelperError(`could not start redis sentinels: ${message}`, { cause: error });
  }
}
