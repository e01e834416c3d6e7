import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, freePort, type LaunchedProcess } from './child-process.js';
import { redisCommand } from './redis-command.js';
import {
  DEFAULT_REDIS_BINARY,
  RedisHelperError,
  launchOnFreePort,
  uniqueKeyPrefix,
} from './redis.js';

/** One master of a test cluster. */
export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
  /** The cluster bus port (`cluster-port`), chosen free rather than port + 10000. */
  readonly busPort: number;
  /** The slots it serves, `[first, last]`. */
  readonly slots: readonly [number, number];
}

/** A Redis Cluster of masters on loopback, started for one test file. */
export interface RedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  /** `127.0.0.1:<port>,...`: the value for `REDIS_CLUSTER_NODES`. */
  readonly startupNodes: string;
  /** A prefix unique to this call. */
  readonly keyPrefix: string;
  /** The hash slot of `key` (`CLUSTER KEYSLOT`, answered by the server). */
  keySlot(key: string): Promise<number>;
  /** Stops every node and removes the data directories. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  /** Masters (no replicas). Default 3, the smallest cluster `redis-cli --cluster create` accepts. */
  masters?: number;
  /** Defaults to `/usr/bin/redis-server`. */
  binary?: string;
  /** Milliseconds for every node to start and the cluster to report `cluster_state:ok`. Default 20 000. */
  startTimeoutMs?: number;
  /** `cluster-node-timeout`. Default 2000 ms. */
  nodeTimeoutMs?: number;
}

const SLOTS = 16_384;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a Redis Cluster of `masters` nodes (always dedicated, never `REDIS_URL`): each node gets
 * a free port and bus port, its slot range (`CLUSTER ADDSLOTSRANGE`) and a distinct config epoch,
 * node 0 meets the others (`CLUSTER MEET`), and the cluster is ready once every node reports
 * `cluster_state:ok` and knows every other node. That is what `redis-cli --cluster create` does,
 * without needing redis-cli. See https://redis.io/docs/latest/operate/oss_and_stack/management/scaling/
 *
 * @example
 * const cluster = await startRedisCluster();
 * afterAll(() => cluster.stop());
 * env: { REDIS_CLUSTER_NODES: cluster.startupNodes }
 */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 1 || masters > 16)
    throw new RedisHelperError('masters must be an integer from 1 to 16');
  const binary = options.binary ?? DEFAULT_REDIS_BINARY;
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const deadline = Date.now() + startTimeoutMs;
  const dir = createTempDir('veba-redis-cluster-');
  const processes: LaunchedProcess[] = [];
  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.kill()));
    dir.remove();
  };

  try {
    const started = await Promise.all(
      Array.from({ length: masters }, async (_, i) => {
        const nodeDir = join(dir.path, String(i));
        mkdirSync(nodeDir);
        let busPort = 0;
        const { port, process } = await launchOnFreePort(async (p) => {
          busPort = await freePort();
          return {
            binary,
            port: p,
            dir: nodeDir,
            startTimeoutMs,
            name: `redis-server cluster node ${i} :${p}`,
            extraArgs: [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              'nodes.conf',
              '--cluster-node-timeout',
              String(options.nodeTimeoutMs ?? 2000),
              '--cluster-port',
              String(busPort),
            ],
          };
        });
        processes.push(process);
        const first = Math.floor((i * SLOTS) / masters);
        const last = Math.floor(((i + 1) * SLOTS) / masters) - 1;
        return { host: '127.0.0.1', port, busPort, slots: [first, last] as const };
      }),
    );

    // Distinct epochs up front, as redis-cli does, so no epoch collision needs resolving.
    for (const [i, node] of started.entries()) {
      await redisCommand(node.port, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
      await redisCommand(node.port, ['CLUSTER', 'ADDSLOTSRANGE', node.slots[0], node.slots[1]]);
    }
    const [seed, ...others] = started;
    for (const node of others) {
      await redisCommand(seed!.port, ['CLUSTER', 'MEET', node.host, node.port, node.busPort]);
    }

    // A master reports ok only ~2 s after its first state update (CLUSTER_WRITABLE_DELAY).
    for (;;) {
      const states = await Promise.all(
        started.map(async (node) => {
          const info = String(await redisCommand(node.port, ['CLUSTER', 'INFO']));
          return (
            info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}\r\n`)
          );
        }),
      );
      if (states.every(Boolean)) break;
      if (Date.now() > deadline)
        throw new RedisHelperError(
          `the cluster did not reach cluster_state:ok within ${startTimeoutMs} ms`,
        );
      await sleep(100);
    }

    let stopped: Promise<void> | undefined;
    return {
      nodes: started,
      startupNodes: started.map((n) => `${n.host}:${n.port}`).join(','),
      keyPrefix: uniqueKeyPrefix(),
      async keySlot(key) {
        return Number(await redisCommand(seed!.port, ['CLUSTER', 'KEYSLOT', key]));
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
    throw new RedisHelperError(`could not start a redis cluster: ${message}`, { cause: error });
  }
}
