-- wrk script for the serving benchmark.
--   wrk ... -s requests.lua URL -- ids.txt   GET /predict/<random id from ids.txt>
--   wrk ... -s requests.lua URL              GET on the URL's own path (the constant endpoint)
-- done() prints one JSON line with throughput, latency percentiles and error counts.

local ids = nil
local n_ids = 0

function init(args)
  if args[1] ~= nil then
    ids = {}
    for line in io.lines(args[1]) do
      if #line > 0 then
        n_ids = n_ids + 1
        ids[n_ids] = "/predict/" .. line
      end
    end
    math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  end
end

function request()
  if ids ~= nil then
    return wrk.format("GET", ids[math.random(n_ids)])
  end
  return wrk.format("GET")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "rps": %.1f, "p50_ms": %.3f, "p90_ms": %.3f, ' ..
    '"p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "non_2xx_3xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
