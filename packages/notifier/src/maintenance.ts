/**
 * Which hosts are in maintenance mode, per vCenter, learned from `EnteredMaintenanceModeEvent`
 * and `ExitMaintenanceModeEvent`. A mark carries the event `Key` that set it, so a late (older)
 * event never undoes a newer one (the broker may reorder), and a TTL, so a lost exit event does
 * not silence a host for ever. In memory for one instance, or in Redis for every replica.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** Tracks hosts in maintenance. */
export interface MaintenanceTracker {
  readonly kind: 'memory' | 'redis';
  /**
   * Records that a host entered (`inMaintenance: true`) or exited maintenance, as of event `key`;
   * ignored when a newer event for that host was recorded already.
   */
  record(vcenter: string, host: string, inMaintenance: boolean, key: number): Promise<void>;
  /** Whether the host is marked in maintenance (false when unknown or expired). */
  inMaintenance(vcenter: string, host: string): Promise<boolean>;
}

/** Options of the trackers. */
export interface MaintenanceTrackerOptions {
  /** How long a mark lasts after its last event. */
  ttlMs: number;
  /** Clock, for tests (memory only). Default `Date.now`. */
  now?: () => number;
}

/**
 * @example
 * const tracker = createMemoryMaintenanceTracker({ ttlMs: 86_400_000 });
 * await tracker.record(event.source, 'host-15', true, event.key);
 */
export function createMemoryMaintenanceTracker(
  options: MaintenanceTrackerOptions,
): MaintenanceTracker {
  const now = options.now ?? Date.now;
  const marks = new Map<string, { in: boolean; key: number; expires: number }>();
  const sweep = (): void => {
    const t = now();
    for (const [id, mark] of marks) if (mark.expires <= t) marks.delete(id);
  };
  return {
    kind: 'memory',
    record(vcenter, host, inMaintenance, key) {
      sweep();
      const id = markId(vcenter, host);
      const current = marks.get(id);
      if (current === undefined || key > current.key) {
        marks.set(id, { in: inMaintenance, key, expires: now() + options.ttlMs });
      }
      return Promise.resolve();
    },
    inMaintenance(vcenter, host) {
      const mark = marks.get(markId(vcenter, host));
      return Promise.resolve(mark !== undefined && mark.in && mark.expires > now());
    },
  };
}

// KEYS[1] the host's mark; ARGV: in (1/0), key, ttl ms. Newer keys win.
const RECORD = `
local current = tonumber(redis.call('HGET', KEYS[1], 'key'))
local key = tonumber(ARGV[2])
if current ~= nil and key <= current then return 0 end
redis.call('HSET', KEYS[1], 'in', ARGV[1], 'key', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

type RecordRedis = (Redis | Cluster) & {
  vebaNotifierMaintenance(
    key: string,
    inMaintenance: number,
    eventKey: number,
    ttlMs: number,
  ): Promise<number>;
};

/** Options of {@link createRedisMaintenanceTracker}. */
export interface RedisMaintenanceTrackerOptions extends MaintenanceTrackerOptions {
  redis: Redis | Cluster;
  /** Key prefix. Default `veba:notifier:`. */
  keyPrefix?: string;
}

/**
 * The marks in Redis, shared by every replica (one hash per host, its own hash slot).
 *
 * @example
 * const tracker = createRedisMaintenanceTracker({ redis, ttlMs: 86_400_000 });
 */
export function createRedisMaintenanceTracker(
  options: RedisMaintenanceTrackerOptions,
): MaintenanceTracker {
  const redis = options.redis as RecordRedis;
  if (typeof (redis as Partial<RecordRedis>).vebaNotifierMaintenance !== 'function') {
    redis.defineCommand('vebaNotifierMaintenance', { numberOfKeys: 1, lua: RECORD });
  }
  const prefix = options.keyPrefix ?? 'veba:notifier:';
  const keyOf = (vcenter: string, host: string): string =>
    `${prefix}{${markId(vcenter, host)}}:maintenance`;
  return {
    kind: 'redis',
    async record(vcenter, host, inMaintenance, key) {
      await redis.vebaNotifierMaintenance(
        keyOf(vcenter, host),
        inMaintenance ? 1 : 0,
        key,
        options.ttlMs,
      );
    },
    async inMaintenance(vcenter, host) {
      return (await redis.hget(keyOf(vcenter, host), 'in')) === '1';
    },
  };
}

/** A short id of (vCenter, host moref): vm-42 in two vCenters are two hosts. */
function markId(vcenter: string, host: string): string {
  return createHash('sha256').update(`${vcenter}|${host}`).digest('hex').slice(0, 24);
}
