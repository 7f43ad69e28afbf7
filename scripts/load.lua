-- wrk script for scripts/load.sh: a different user id on every request (the gateway
-- buckets each one), and one parseable RESULT line at the end.
local path = os.getenv("LOAD_PATH") or "/v1/resolve?app=superapp-load&env=production&mini_program=mp-load&user="
local counter = 0

function setup(thread)
  thread:set("offset", math.random(0, 1000000000))
end

function request()
  counter = counter + 1
  return wrk.format("GET", path .. "u" .. (offset or 0) + counter)
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d rps=%.0f p50_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout))
end
