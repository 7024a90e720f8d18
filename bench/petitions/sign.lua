-- wrk script: every request signs ONE petition with a token of its own.
--
-- Environment: BENCH_TOKENS (file, one access token a line), BENCH_OFFSET and
-- BENCH_COUNT (which lines), BENCH_THREADS (wrk -t), BENCH_PATH (the URL path).
-- Thread k sends tokens offset+k, offset+k+T, ... Each request also carries its own
-- X-Forwarded-For address (the service trusts 127.0.0.1 as its proxy), as the
-- citizens of a real run come from many addresses. Once a thread has sent its
-- tokens it asks /healthz (200, not 201) and stops when every signature of it
-- was answered, so the 201s counted here are exact.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  path = os.getenv("BENCH_PATH")
  local file = os.getenv("BENCH_TOKENS")
  local offset = tonumber(os.getenv("BENCH_OFFSET"))
  local count = tonumber(os.getenv("BENCH_COUNT"))
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  tokens = {}
  indexes = {}
  local i = 0
  for line in io.lines(file) do
    if i >= offset + count then break end
    if i >= offset and (i - offset) % nthreads == id then
      table.insert(tokens, line)
      table.insert(indexes, i)
    end
    i = i + 1
  end
  sent = 0
  answered = 0
  created = 0
  statuses = {}
end

local function address(i)
  return string.format("10.%d.%d.%d", math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
end

function request()
  -- wrk calls request() once on thread 0 before the run, to check the script
  -- (script_verify_request); that call must not use up a token.
  if id == 0 and not verified then
    verified = true
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  if sent <= #tokens then
    local headers = {
      ["Authorization"] = "Bearer " .. tokens[sent],
      ["Content-Type"] = "application/json",
      ["X-Forwarded-For"] = address(indexes[sent]),
    }
    return wrk.format("POST", path, headers, "{}")
  end
  return wrk.format("GET", "/healthz")
end

function response(status, headers, body)
  if status == 200 then return end -- /healthz after this thread's last signature
  answered = answered + 1
  if status == 201 then created = created + 1 end
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if answered >= #tokens then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local created_total, answered_total = 0, 0
  local by_status = {}
  for _, t in ipairs(threads) do
    created_total = created_total + t:get("created")
    answered_total = answered_total + t:get("answered")
    for k, v in pairs(t:get("statuses")) do by_status[k] = (by_status[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(by_status) do table.insert(parts, string.format('"%s": %d', k, v)) end
  io.write(string.format(
    'BENCH {"created": %d, "answered": %d, "statuses": {%s}, "requests": %d, ' ..
    '"duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f, "socket_errors": %d}\n',
    created_total, answered_total, table.concat(parts, ", "), summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
