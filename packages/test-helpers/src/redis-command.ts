import { createConnection } from 'node:net';

/** A RESP2 reply: simple and bulk strings, integers, nil, and arrays of those. */
export type RedisReply = string | number | null | RedisReply[];

/** Redis answered with an error reply (`-ERR ...`), or no reply came. */
export class RedisCommandError extends Error {
  override readonly name = 'RedisCommandError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Parses one complete reply at `offset`; `undefined` when `buffer` does not hold all of it yet. */
function parse(
  buffer: string,
  offset: number,
): { value: RedisReply | RedisCommandError; next: number } | undefined {
  const end = buffer.indexOf('\r\n', offset);
  if (end < 0) return undefined;
  const type = buffer[offset];
  const line = buffer.slice(offset + 1, end);
  const next = end + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new RedisCommandError(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next };
      // Lengths are bytes; the test helpers only exchange ASCII, where bytes are characters.
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.slice(next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: RedisReply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, at);
        if (!item) return undefined;
        if (item.value instanceof RedisCommandError) return item;
        items.push(item.value);
        at = item.next;
      }
      return { value: items, next: at };
    }
    default:
      return {
        value: new RedisCommandError(`unexpected reply: ${buffer.slice(offset, end)}`),
        next,
      };
  }
}

function encode(args: readonly (string | number)[]): string {
  const parts = args.map((a) => {
    const text = String(a);
    return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  });
  return `*${args.length}\r\n${parts.join('')}`;
}

/**
 * Sends one command to a Redis (or Sentinel) on its own short-lived connection and resolves with the
 * reply; an error reply rejects with {@link RedisCommandError}. For test setup and probes, where a
 * dependency-free client is enough (the packages under test use ioredis).
 *
 * @example
 * await redisCommand(port, ['CLUSTER', 'ADDSLOTSRANGE', 0, 5460]);
 */
export async function redisCommand(
  port: number,
  args: readonly (string | number)[],
  options: { host?: string; timeoutMs?: number } = {},
): Promise<RedisReply> {
  const timeoutMs = options.timeoutMs ?? 1000;
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: options.host ?? '127.0.0.1', port });
    let buffer = '';
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(new RedisCommandError(`no reply to ${String(args[0])} within ${timeoutMs} ms`)),
        ),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const reply = parse(buffer, 0);
      if (!reply) return;
      settle(() =>
        reply.value instanceof RedisCommandError ? reject(reply.value) : resolve(reply.value),
      );
    });
    socket.once('close', () =>
      settle(() =>
        reject(new RedisCommandError(`connection closed before a reply to ${String(args[0])}`)),
      ),
    );
    socket.once('error', (error) => settle(() => reject(error)));
  });
}

/** `INFO <section>` as a map of its `key:value` lines. */
export async function redisInfo(
  port: number,
  section: string,
  options: { host?: string; timeoutMs?: number } = {},
): Promise<Map<string, string>> {
  const text = await redisCommand(port, ['INFO', section], options);
  const info = new Map<string, string>();
  for (const line of String(text).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) info.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return info;
}
