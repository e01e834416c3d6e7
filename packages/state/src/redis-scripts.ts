// Every multi-step change is one Lua script, so Redis runs it atomically: no other client can act
// between the read and the write. Each script touches exactly one key (KEYS[1]), so on a Redis
// Cluster it always runs on the one node that owns that key's slot; a future script that touches
// several keys must build them with hashTagged() (hash-tag.ts) so they share a slot.
// Times come from the Redis server clock (TIME), not from the replicas' clocks, so every replica
// agrees when a lease has expired.

const NOW = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS[1] record; ARGV owner, leaseMs, ttlMs, fingerprint.
 * Returns { status, fingerprint | previousOwner, number }.
 * A completed record is returned untouched: it can never be overwritten by a takeover (the
 * Powertools #5714 bug). The same owner claiming again (a client-side retry of a claim whose reply
 * was lost) gets its claim back instead of blocking itself.
 */
export const CLAIM = `${NOW}
local rec = redis.call('HMGET', KEYS[1], 'state', 'owner', 'lease', 'fp')
local state, owner, lease, fp = rec[1], rec[2], tonumber(rec[3]), rec[4] or ''
if state == 'completed' then
  return { 'completed', fp, '0' }
end
if state == 'in_progress' and owner ~= ARGV[1] and lease and lease > now then
  return { 'in_progress', fp, tostring(lease - now) }
end
local takeover = '0'
local previous = ''
if state == 'in_progress' and owner ~= ARGV[1] then
  takeover = '1'
  previous = owner
end
local leaseMs = tonumber(ARGV[2])
local ttlMs = math.max(tonumber(ARGV[3]), leaseMs)
redis.call('HSET', KEYS[1], 'state', 'in_progress', 'owner', ARGV[1], 'lease', tostring(now + leaseMs), 'fp', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttlMs)
return { 'claimed', previous, takeover }
`;

/**
 * KEYS[1] record; ARGV owner, ttlMs, fingerprint. Returns { outcome, other owner }:
 * - `completed`: the owner's in-progress record is now completed (or already was: a completion
 *   retried after its reply was lost);
 * - `recreated`: there was no record (Redis restarted or failed over without it, or it was
 *   evicted). The owner did finish the work, so a completed record is written: without it every
 *   redelivery would run the side effect again (project issue 9);
 * - `taken_over`: another delivery holds it in progress (it took over after this lease expired, or
 *   claimed it after the record was lost). Left alone: that delivery is running and decides;
 * - `completed_by_other`: another delivery completed it. Left alone.
 */
export const COMPLETE = `
local rec = redis.call('HMGET', KEYS[1], 'state', 'owner')
local state, owner = rec[1], rec[2]
if state == 'in_progress' and owner == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'lease', '0')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { 'completed', '' }
end
if state == 'completed' then
  if owner == ARGV[1] then return { 'completed', '' } end
  return { 'completed_by_other', owner or '' }
end
if state == 'in_progress' then
  return { 'taken_over', owner or '' }
end
redis.call('HSET', KEYS[1], 'state', 'completed', 'owner', ARGV[1], 'lease', '0', 'fp', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return { 'recreated', '' }
`;

/** KEYS[1] record; ARGV owner. 1 when released, 0 when the owner no longer holds it. */
export const RELEASE = `
local rec = redis.call('HMGET', KEYS[1], 'state', 'owner')
if rec[1] ~= 'in_progress' or rec[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/** KEYS[1] mark; ARGV eventKey, ttlMs. Sets the mark to max(mark, eventKey); returns the mark. */
export const ADVANCE = `
local raw = redis.call('GET', KEYS[1])
local current = tonumber(raw)
if current == nil or tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return raw
`;
