-- The benchmark's wrk script. Arguments (after --): method, path, first index, body file,
-- content type. A path holding %d gets a distinct index per request: first + thread number +
-- n × thread count, so no two requests of a run ask for the same thing. done() prints one JSON
-- line (prefixed WRKJSON) for the harness to read.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  method, path, first = args[1], args[2], tonumber(args[3])
  nthreads = tonumber(args[6])
  local body = nil
  if args[4] ~= nil and args[4] ~= "" then
    local f = assert(io.open(args[4], "rb"))
    body = f:read("*a")
    f:close()
    wrk.headers["Content-Type"] = args[5]
  end
  distinct = string.find(path, "%%d") ~= nil
  fixed = wrk.format(method, path, nil, body)
  sent = 0
end

function request()
  if not distinct then
    return fixed
  end
  local n = first + tid + sent * nthreads
  sent = sent + 1
  return wrk.format(method, string.format(path, n))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"bad_status":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
