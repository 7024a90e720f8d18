-- wrk script for the bare baseline: BENCH_COUNT POSTs in all to BENCH_PATH, no token.
-- Same bookkeeping as sign.lua (exact 201 count, /healthz once a thread is done).

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  path = os.getenv("BENCH_PATH")
  local count = tonumber(os.getenv("BENCH_COUNT"))
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  quota = math.floor(count / nthreads) + ((id < count % nthreads) and 1 or 0)
  sent = 0
  answered = 0
  created = 0
  statuses = {}
end

function request()
  -- wrk calls request() once on thread 0 before the run, to check the script
  -- (script_verify_request); that call must not use up a token.
  if id == 0 and not verified then
    verified = true
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  if sent <= quota then
    return wrk.format("POST", path, {["Content-Type"] = "application/json"}, "{}")
  end
  return wrk.format("GET", "/healthz")
end

function response(status, headers, body)
  if status == 200 then return end
  answered = answered + 1
  if status == 201 then created = created + 1 end
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if answered >= quota then wrk.thread:stop() end
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
