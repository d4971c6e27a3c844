-- The wrk script of bench/bigscreen.py (issue #16 "Benchmark": crowd-report ingest).
-- bench.bigscreen prepends a header that defines: areas (code, bearer, source id, zone codes),
-- kind ("api" or "bare"), api_path, bare_path, base (epoch seconds of the newest bucket start),
-- step (bucket seconds), offset, modulo (0: every request a new (area, bucket); > 0: the requests
-- cycle over the `modulo` keys from `offset`, the same bodies again: the "unchanged" path),
-- nthreads and expected (the status every answer must have).
--
-- Request n (n = offset + thread id + nthreads * i) goes to area n % #areas, bucket
-- base - floor(n / #areas) * step; its counts are a deterministic function of n, so a repeat of n
-- sends the very same body, and distinct n send distinct counts. `i` counts the requests sent.

local origins = {"local", "domestic", "international"}
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  i = 0
  verified = false
  ok = 0
  bad = 0
  first_bad = ""
end

local function count(n, z, o, salt, range)
  return (n * 7919 + z * 104729 + o * 1299709 + salt) % range + 20
end

function request()
  local n
  if modulo > 0 then
    n = offset + (tid + nthreads * i) % modulo
  else
    n = offset + tid + nthreads * i
  end
  if tid == 0 and not verified then
    -- wrk calls request() once on thread 0 to check the script before the run: that request is
    -- never sent, so it must not use up key n.
    verified = true
  else
    i = i + 1
  end
  local a = areas[(n % #areas) + 1]
  local bucket = base - math.floor(n / #areas) * step
  local iso = os.date("!%Y-%m-%dT%H:%M:%S", bucket + 28800) .. "+08:00"
  local parts = {}
  for zi, z in ipairs(a.zones) do
    for oi, o in ipairs(origins) do
      parts[#parts + 1] = string.format('{"zone":"%s","origin":"%s","present":%d,"arrivals":%d}',
        z, o, count(n, zi, oi, 0, 3000), count(n, zi, oi, 17, 400))
    end
  end
  local body = string.format('{"area":"%s","bucket_start":"%s","counts":[%s]}', a.code, iso,
    table.concat(parts, ","))
  local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
  local path
  if kind == "api" then
    headers["Authorization"] = "Bearer " .. a.bearer
    path = api_path
  else
    path = bare_path .. "?source=" .. a.source
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status == expected then
    ok = ok + 1
  else
    bad = bad + 1
    if first_bad == "" then
      first_bad = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local good, wrong, most, least, total, sample = 0, 0, 0, -1, 0, ""
  for _, t in ipairs(threads) do
    good = good + t:get("ok")
    wrong = wrong + t:get("bad")
    total = total + t:get("i")
    if t:get("i") > most then most = t:get("i") end
    if least < 0 or t:get("i") < least then least = t:get("i") end
    if sample == "" then sample = t:get("first_bad") end
  end
  local e = summary.errors
  sample = string.gsub(string.gsub(sample, "\\", "\\\\"), '"', '\\"')
  sample = string.gsub(sample, "[%c]", " ")
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"ok":%d,"bad":%d,' ..
    '"sent_per_thread":%d,"least_per_thread":%d,"sent":%d,"socket_errors":%d,"first_bad":"%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, good,
    wrong, most, least, total, e.connect + e.read + e.write + e.timeout, sample))
end
