-- Shared by every case script (loaded with dofile; wrk runs with bench/wrk as its working directory).
-- Counts non-2xx responses in each thread and prints one machine-readable line when the run is done:
--   BENCH_JSON {"requests":…,"duration_us":…,"non2xx":…,"socket_errors":…,"p50_us":…,"p99_us":…}
-- Latency is wrk's own histogram (request sent → response complete), in microseconds.

local threads = {}
non2xx = 0 -- global: one per thread state, read back through thread:get()

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads) -- lets case scripts start each thread at its own offset
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(lines, line) end
  end
  return lines
end

function read_file(path)
  local f = assert(io.open(path, "rb"))
  local body = f:read("*a")
  f:close()
  return body
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
