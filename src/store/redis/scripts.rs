//! The Lua scripts the Redis store runs atomically on the server: the commit (with its
//! compare-and-set on what a batch read) and the read of what changed since a revision.

/// ARGV: namespace, base, new revision, n, n read keys (see `Batch::read_keys`), then
/// (op, key, value) triples. Off its base, the script looks at every record written
/// after the base (the `changes` index) and answers `conflict` if one of them is a read
/// key or a release of a read route, else `stale`; either way it writes nothing.
pub(super) const COMMIT: &str = r#"
local ns = ARGV[1]
local current = redis.call('GET', ns .. ':revision') or '0'
local nreads = tonumber(ARGV[4])
if current ~= ARGV[2] then
  if tonumber(current) < tonumber(ARGV[2]) then
    return {'conflict', current}
  end
  local read = {}
  for k = 5, 4 + nreads do
    read[ARGV[k]] = true
  end
  local changed = redis.call('ZRANGEBYSCORE', ns .. ':changes', '(' .. ARGV[2], '+inf')
  for _, m in ipairs(changed) do
    if read[m] then
      return {'conflict', current}
    end
    local id = string.match(m, '^release:(.*)$')
    local value = id and redis.call('HGET', ns .. ':releases', id)
    if value then
      local r = cjson.decode(value)
      if read['route:' .. r.app .. '/' .. r.env .. '/' .. r.mini_program] then
        return {'conflict', current}
      end
    end
  end
  return {'stale', current}
end
local rev = ARGV[3]
local i = 5 + nreads
while i + 2 <= #ARGV do
  local op, key, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if op == 'app' then
    redis.call('HSET', ns .. ':apps', key, value)
  elseif op == 'version' then
    redis.call('HSET', ns .. ':versions', key, value)
  elseif op == 'release' then
    redis.call('HSET', ns .. ':releases', key, value)
  elseif op == 'group' then
    redis.call('SET', ns .. ':test_group:' .. key, value)
  elseif op == 'history' then
    redis.call('RPUSH', ns .. ':history:' .. key, value)
  elseif op == 'suspension' then
    redis.call('HSET', ns .. ':suspensions', key, value)
  elseif op == 'suspension_history' then
    redis.call('RPUSH', ns .. ':suspension_history:' .. key, value)
  end
  if op ~= 'history' and op ~= 'group' and op ~= 'suspension_history' then
    redis.call('ZADD', ns .. ':changes', rev, op .. ':' .. key)
  end
  i = i + 3
end
redis.call('SET', ns .. ':revision', rev)
redis.call('PUBLISH', ns .. ':revisions', rev)
return {'ok', rev}
"#;

/// Reads every record changed after ARGV[2] in one atomic step: [revision, kind, value, …].
/// A kind's records are in the hash named after it (`app` → `{ns}:apps`, `suspension` →
/// `{ns}:suspensions`, …).
pub(super) const CHANGES: &str = r#"
local ns = ARGV[1]
local out = {redis.call('GET', ns .. ':revision') or '0'}
local members = redis.call('ZRANGEBYSCORE', ns .. ':changes', '(' .. ARGV[2], '+inf')
for _, m in ipairs(members) do
  local kind, key = string.match(m, '^(%a+):(.*)$')
  local value = redis.call('HGET', ns .. ':' .. kind .. 's', key)
  if value then
    table.insert(out, kind)
    table.insert(out, value)
    if kind == 'release' then
      local group = redis.call('GET', ns .. ':test_group:' .. key)
      if group then
        table.insert(out, 'group:' .. key)
        table.insert(out, group)
      end
    end
  end
end
return out
"#;
