-- wrk script for every GET scenario: optional If-None-Match (first argument), "fragment" as the
-- second argument for an htmx request, "reload" as the third for Cache-Control: no-cache
-- (a browser's reload: it passes the app's micro-cache), gzip like a browser, a count per
-- status, and one JSON line with the figures the benchmark reads. "unique" as the fourth
-- argument adds ?bench=<n>, a new query string on every request: each one misses the
-- micro-cache and is rendered (the app ignores the parameter).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  statuses = {}
  wrk.headers["Accept-Encoding"] = "gzip"
  if args[1] and args[1] ~= "" then
    wrk.headers["If-None-Match"] = args[1]
  end
  if args[2] == "fragment" then
    wrk.headers["HX-Request"] = "true"
  end
  if args[3] == "reload" then
    wrk.headers["Cache-Control"] = "no-cache"
  end
  unique = args[4] == "unique"
  counter = 0
  prefix = tostring(id) .. "-" .. tostring(os.time())
end

function request()
  if unique then
    counter = counter + 1
    return wrk.format(nil, wrk.path .. "?bench=" .. prefix .. "-" .. counter)
  end
  return wrk.format()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"socket_errors": %d, "bad_status": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status, table.concat(parts, ", ")))
end
