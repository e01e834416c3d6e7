import { describe, expect, it } from 'vitest';
import { StateConfigError, createStateStore } from '../src/index.js';
import { describeRedisUrl } from '../src/redis-config.js';
import { captureLogger } from './support.js';

describe('createStateStore', () => {
  it('picks memory without a URL and Redis for redis:// and rediss://', async () => {
    expect(createStateStore({ logger: captureLogger() }).kind).toBe('memory');
    expect(createStateStore({ redisUrl: '  ', logger: captureLogger() }).kind).toBe('memory');
    for (const url of ['redis://127.0.0.1:1', 'rediss://user:pw@redis.example:6380/2']) {
      const store = createStateStore({ redisUrl: url, logger: captureLogger() });
      expect(store.kind).toBe('redis');
      await store.close();
    }
  });

  it('refuses other schemes with an error that does not echo the URL', () => {
    const attempt = () =>
      createStateStore({ redisUrl: 'http://u:hunter2@host', logger: captureLogger() });
    expect(attempt).toThrow(StateConfigError);
    expect(attempt).not.toThrow(/hunter2/);
  });

  it('describes a URL without its credentials', () => {
    expect(describeRedisUrl('rediss://user:hunter2@redis.example:6380/2')).toBe(
      'rediss://redis.example:6380/2',
    );
    expect(describeRedisUrl('redis://:pw@h:1')).toBe('redis://h:1');
  });
});
