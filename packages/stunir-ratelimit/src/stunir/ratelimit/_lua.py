"""Each algorithm as one Redis script: the same arithmetic as its Python form, run atomically.

Every script takes one argument, "now cost max_delay dry p1 p2 [p3]" (the algorithm's
parameters last), where ``now`` is empty to read the server's clock (``TIME``, in
microseconds), and returns "allowed remaining wait reset" in ticks, exactly like
``Algorithm.decide``; with ``dry`` set to 1 it writes nothing (a peek). One string each way
because every extra argument and reply element costs more than parsing it (about 10 µs a
call). Numbers are doubles in Lua: every value stays an integer below 2**53, so the results
match Python's integer arithmetic; numbers are written with ``%.0f`` so no digit is lost.
"""

from __future__ import annotations

_PRELUDE = """
local now, cost, max_delay, dry, p1, p2, p3 =
  string.match(ARGV[1], "^(%d*) (%d+) (%d+) ([01]) (%d+) (%d+) ?(%d*)$")
if now == "" then
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(now)
end
cost = tonumber(cost)
max_delay = tonumber(max_delay)
dry = dry == "1"  -- peek: decide, but write nothing
local function reply(allowed, remaining, wait, reset)
  return string.format("%d %.0f %.0f %.0f", allowed, remaining, wait, reset)
end
-- A second of slack: an idle state decides exactly like a missing one, so a key that lives a
-- little longer changes nothing, while callers' clocks (server_time=False) may drift.
local function ttl_ms(ticks) return math.ceil(ticks / 1000) + 1000 end
"""

GCRA = (
    _PRELUDE
    + """
local interval = tonumber(p1)
local limit = tonumber(p2)
local shaping = p3 == "1"
local tolerance = limit * interval
local start = tonumber(redis.call("GET", KEYS[1]) or now)
if start < now then start = now end
local new = start + cost * interval
local full_at = new - tolerance
local ready_at = full_at
if shaping then ready_at = start end
if ready_at - now <= max_delay and ((not shaping) or full_at <= now) then
  if not dry then
    redis.call("SET", KEYS[1], string.format("%.0f", new), "PX", ttl_ms(new - now))
  end
  local delay = math.max(0, ready_at - now)
  return reply(1, math.max(0, math.floor((now + tolerance - new) / interval)), delay, new - now)
end
local retry = math.max(ready_at, full_at) - now
return reply(0, math.max(0, math.floor((now + tolerance - start) / interval)), retry, start - now)
"""
)

FIXED_WINDOW = (
    _PRELUDE
    + """
local limit = tonumber(p1)
local window = tonumber(p2)
local start = now - math.fmod(now, window)
local count = 0
local raw = redis.call("GET", KEYS[1])
if raw then
  local s, c = string.match(raw, "^(%d+):(%d+)$")
  if tonumber(s) == start then count = tonumber(c) end
end
local reset = start + window - now
if count + cost <= limit then
  if not dry then
    local state = string.format("%.0f:%.0f", start, count + cost)
    redis.call("SET", KEYS[1], state, "PX", ttl_ms(reset))
  end
  return reply(1, limit - count - cost, 0, reset)
end
return reply(0, limit - count, reset, reset)
"""
)

SLIDING_LOG = (
    _PRELUDE
    + """
local limit = tonumber(p1)
local window = tonumber(p2)
local horizon = now - window
local total = tonumber(redis.call("GET", KEYS[2]) or "0")
local pruned = false
while true do
  local head = redis.call("LINDEX", KEYS[1], 0)
  if not head then break end
  local t, c = string.match(head, "^(%d+):(%d+)$")
  if tonumber(t) > horizon then break end
  redis.call("LPOP", KEYS[1])
  total = total - tonumber(c)
  pruned = true
end
if total + cost <= limit and dry then
  return reply(1, limit - total - cost, 0, window)
end
if total + cost <= limit then
  local merged = false
  local tail = redis.call("LINDEX", KEYS[1], -1)
  if tail then
    local t, c = string.match(tail, "^(%d+):(%d+)$")
    if tonumber(t) == now then
      redis.call("LSET", KEYS[1], -1, string.format("%.0f:%.0f", now, tonumber(c) + cost))
      merged = true
    end
  end
  if not merged then
    redis.call("RPUSH", KEYS[1], string.format("%.0f:%.0f", now, cost))
  end
  total = total + cost
  redis.call("SET", KEYS[2], string.format("%.0f", total), "PX", ttl_ms(window))
  redis.call("PEXPIRE", KEYS[1], ttl_ms(window))
  return reply(1, limit - total, 0, window)
end
if pruned then
  redis.call("SET", KEYS[2], string.format("%.0f", total), "KEEPTTL")
end
-- Walk from the oldest entry only as far as needed (usually one): never the whole list.
local must_expire = total + cost - limit
local expired = 0
local retry = 0
local index = 0
while true do
  local t, c = string.match(redis.call("LINDEX", KEYS[1], index), "^(%d+):(%d+)$")
  expired = expired + tonumber(c)
  if expired >= must_expire then
    retry = tonumber(t) + window - now
    break
  end
  index = index + 1
end
local last = tonumber(string.match(redis.call("LINDEX", KEYS[1], -1), "^(%d+):"))
return reply(0, limit - total, retry, last + window - now)
"""
)

SLIDING_COUNTER = (
    _PRELUDE
    + """
local limit = tonumber(p1)
local window = tonumber(p2)
local elapsed = math.fmod(now, window)
local start = now - elapsed
local previous, current = 0, 0
local raw = redis.call("GET", KEYS[1])
if raw then
  local s, p, c = string.match(raw, "^(%d+):(%d+):(%d+)$")
  s = tonumber(s)
  if s == start then
    previous, current = tonumber(p), tonumber(c)
  elseif s == start - window then
    previous = tonumber(c)
  end
end
local reset = 2 * window - elapsed
if previous * (window - elapsed) + (current + cost) * window <= limit * window then
  current = current + cost
  local used = previous * (window - elapsed) + current * window
  if not dry then
    local state = string.format("%.0f:%.0f:%.0f", start, previous, current)
    redis.call("SET", KEYS[1], state, "PX", ttl_ms(reset))
  end
  return reply(1, math.floor((limit * window - used) / window), 0, reset)
end
local remaining = math.max(0, limit * window - previous * (window - elapsed) - current * window)
local retry
if current + cost <= limit then
  retry = window - math.floor((limit - current - cost) * window / previous) - elapsed
else
  retry = 2 * window - math.floor((limit - cost) * window / current) - elapsed
end
return reply(0, math.floor(remaining / window), retry, reset)
"""
)

SCRIPTS = {
    "token_bucket": GCRA,
    "leaky_bucket": GCRA,
    "leaky_queue": GCRA,
    "fixed_window": FIXED_WINDOW,
    "sliding_log": SLIDING_LOG,
    "sliding_counter": SLIDING_COUNTER,
}
# How many keys each script touches: the sliding log keeps its running total beside the list.
KEY_SUFFIXES = {"sliding_log": ("", ":total")}
