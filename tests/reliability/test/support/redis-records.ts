/**
 * What the dedupe store holds, read straight from redis-server (no client library): the records
 * still `in_progress` are claims nobody completed or released, which hold every redelivery of
 * their event at 409 until their lease ends.
 */
import { redisCommand, type RedisReply, type RedisServer } from '@veba-functions/test-helpers';

/** One dedupe record (`<prefix>dedupe:<function>:<source>:<id>`, a hash). */
export interface DedupeRecord {
  key: string;
  state: string | undefined;
  owner: string | undefined;
}

/** Every dedupe record whose key contains `part` (e.g. the URI-encoded source of a run). */
export async function dedupeRecords(redis: RedisServer, part: string): Promise<DedupeRecord[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const reply = (await redisCommand(redis.port, [
      'SCAN',
      cursor,
      'MATCH',
      '*dedupe:*',
      'COUNT',
      '1000',
    ])) as [string, string[]];
    cursor = reply[0];
    keys.push(...reply[1].filter((key) => key.includes(part)));
  } while (cursor !== '0');
  const records: DedupeRecord[] = [];
  for (const key of keys) {
    const [state, owner] = (await redisCommand(redis.port, ['HMGET', key, 'state', 'owner'])) as [
      RedisReply,
      RedisReply,
    ];
    records.push({
      key,
      state: typeof state === 'string' ? state : undefined,
      owner: typeof owner === 'string' ? owner : undefined,
    });
  }
  return records;
}

/** The records of `part` still in progress (claims neither completed nor released). */
export async function claimsInProgress(redis: RedisServer, part: string): Promise<string[]> {
  return (await dedupeRecords(redis, part))
    .filter((record) => record.state === 'in_progress')
    .map((record) => record.key);
}
