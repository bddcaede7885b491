"""The circuit breaker's state machine as one Redis server-side script: every transition is
atomic, and time is the Redis server's clock (milliseconds), the same for every process.

KEYS[1]: the breaker's hash. ARGV: operation, permit, failure threshold (0: none), recovery
timeout (ms), trial-call limit, successes needed to close, an operand (trip flag, reason or
forced state), hold flag. Returns {status, permit, old state, new state, retry-after ms
(-1: forced open), reason, consecutive failures}.
"""

BREAKER_SCRIPT = """
local key, op = KEYS[1], ARGV[1]
local permit, threshold = tonumber(ARGV[2]), tonumber(ARGV[3])
local recovery, max_trials, needed = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local operand, hold = ARGV[7], ARGV[8]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local h = redis.call('HMGET', key, 'state', 'opened_at', 'failures', 'trial_successes',
                     'trials', 'period', 'forced', 'half_open_at')
local state = h[1] or 'closed'
local opened_at = tonumber(h[2]) or 0
local failures = tonumber(h[3]) or 0
local trial_successes = tonumber(h[4]) or 0
local trials = tonumber(h[5]) or 0
local period = tonumber(h[6]) or 0
local forced = h[7] == '1'
local half_open_at = tonumber(h[8]) or 0
local old, reason, status, retry_after, out_permit = state, '', 'ok', 0, 0
local dirty = false

local function move(new, why)
  dirty = true
  if state == new then return end
  state, reason = new, why
  if new == 'open' then
    opened_at = now
  elseif new == 'half_open' then
    period, trials, trial_successes, half_open_at = period + 1, 0, 0, now
  else
    failures = 0
  end
end

if op == 'acquire' then
  if state == 'open' then
    local wait = opened_at + recovery - now
    if forced then
      status, retry_after = 'rejected', -1
    elseif wait > 0 then
      status, retry_after = 'rejected', wait
    else
      move('half_open', 'recovery timeout elapsed')
    end
  end
  if status == 'ok' and state == 'half_open' then
    -- permits held by a process that died are forgotten after one recovery timeout
    if trials >= max_trials and now - half_open_at >= recovery then
      trials, half_open_at = 0, now
    end
    if trials >= max_trials then
      status = 'rejected'
    else
      trials, out_permit, dirty = trials + 1, period, true
    end
  end
elseif op == 'success' then
  if permit == 0 then
    if failures > 0 then failures, dirty = 0, true end
  elseif permit == period and state == 'half_open' then
    trials, trial_successes, dirty = math.max(trials - 1, 0), trial_successes + 1, true
    if trial_successes >= needed then move('closed', 'trial calls succeeded') end
  end
elseif op == 'failure' then
  if permit ~= 0 then
    if permit == period and state == 'half_open' then
      trials = math.max(trials - 1, 0)
      move('open', 'a trial call failed')
    end
  elseif state == 'closed' and not forced then
    failures, dirty = failures + 1, true
    if threshold > 0 and failures >= threshold then
      move('open', failures .. ' consecutive failures')
    elseif operand == '1' then
      move('open', 'failure or slow-call rate over the threshold')
    end
  end
elseif op == 'trip' then
  if state == 'closed' and not forced then move('open', operand) end
elseif op == 'release' then
  if permit ~= 0 and permit == period and trials > 0 then trials, dirty = trials - 1, true end
elseif op == 'force' then
  forced = hold == '1'
  if state == operand and operand == 'open' then opened_at = now end
  local why = 'set by hand'
  if forced then why = 'forced' end
  move(operand, why)
elseif op == 'snapshot' then
  if state == 'open' then
    if forced then retry_after = -1 else retry_after = math.max(opened_at + recovery - now, 0) end
  end
end

if dirty then
  local forced_flag = '0'
  if forced then forced_flag = '1' end
  redis.call('HSET', key, 'state', state, 'opened_at', opened_at, 'failures', failures,
             'trial_successes', trial_successes, 'trials', trials, 'period', period,
             'forced', forced_flag, 'half_open_at', half_open_at)
end
return {status, out_permit, old, state, retry_after, reason, failures}
"""
