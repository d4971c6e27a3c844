-- The generic wrk script of bench/wrk.py (issue #17): a list of distinct requests, sent in order.
-- bench.wrk prepends a header that defines:
--   reqs_file = the list file, one request a line (bench.wrk.request_line): method, path, body, then
--               header name and value pairs, tab-separated; \\ \t \n \r escape a field's backslash,
--               tab, newline, carriage return; a body of \N is none
--   nreqs     = the number of requests in the file (checked when a thread reads it)
--   offset    = the index of the first request of this phase (0-based; phases continue the list)
--   nthreads  = wrk's thread count
--   expected  = { [200]=true, ... } the statuses that count as answered correctly
--   group     = the requests of a unit (1: each request is one): a thread sends a unit's requests one after
--               the other, and bench.wrk gives each connection its own thread when group > 1, so each of them
--               leaves only after the answer to the one before (a keypad's skip after its call's answer)
-- Each thread reads the file in its init (before wrk's clock starts): a list as Lua literals stopped at
-- LuaJIT's 65,536 constants per chunk. Unit u of thread t (u = offset / group + t + nthreads * i) is
-- requests n = u * group … u * group + group - 1, request n is line n % nreqs + 1, so the threads' parts
-- are disjoint; "{n}" in its path, body or a header value is replaced by n (a unique key: an idempotency
-- key, a new applicant's number…), so no two requests of a run are the same body unless the run wraps
-- around the list (`sent` > nreqs tells it). With group 1 a unit is a request: n = offset + t + nthreads * i.
-- wrk stops in the middle of a unit: done() names the requests its threads still owed (`owed`), which
-- bench.wrk sends before the list's next phase.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local ESCAPES = {["\\"] = "\\", t = "\t", n = "\n", r = "\r"}

local function unescape(field)
  if not string.find(field, "\\", 1, true) then return field end
  return (string.gsub(field, "\\(.)", ESCAPES))
end

-- The file's lines as they are: a line is parsed when its request is sent (a few microseconds), so a
-- thread's init reads 200,000 requests in well under a second.
local function load_lines(path)
  local file = assert(io.open(path, "rb"))
  local list = {}
  local count = 0
  for line in file:lines() do
    count = count + 1
    list[count] = line
  end
  file:close()
  if count ~= nreqs then
    error(string.format("%s holds %d requests, not %d", path, count, nreqs))
  end
  return list
end

local function parse(line)
  local fields = {}
  for field in string.gmatch(line .. "\t", "([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  local r = {method = unescape(fields[1]), path = unescape(fields[2]), headers = {}}
  if fields[3] ~= "\\N" then r.body = unescape(fields[3]) end
  for k = 4, #fields - 1, 2 do r.headers[unescape(fields[k])] = unescape(fields[k + 1]) end
  return r
end

function init(args)
  lines = load_lines(reqs_file)
  i = 0       -- requests sent
  units = 0   -- units finished
  step = 0    -- requests sent of the unit under way
  verified = false
  ok = 0
  bad = 0
  first_bad = ""
end

local function fill(value, n)
  if value == nil then return nil end
  return (string.gsub(value, "{n}", tostring(n)))
end

local function unit_start(t, done_units)
  return (offset / group + t + nthreads * done_units) * group
end

function request()
  local n = unit_start(tid, units) + step
  if tid == 0 and not verified then
    -- wrk calls request() once on thread 0 to check the script before the run: never sent.
    verified = true
  else
    i = i + 1
    step = step + 1
    if step == group then
      step = 0
      units = units + 1
    end
  end
  local r = parse(lines[(n % nreqs) + 1])
  local headers = {}
  for k, v in pairs(r.headers) do headers[k] = fill(v, n) end
  return wrk.format(r.method or "GET", fill(r.path, n), headers, fill(r.body, n))
end

function response(status, headers, body)
  if expected[status] then
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
  local started, owed = 0, {}
  for _, t in ipairs(threads) do
    local done_units, part = t:get("units"), t:get("step")
    if part > 0 then
      for k = part, group - 1 do
        owed[#owed + 1] = string.format("%d", unit_start(t:get("tid"), done_units) + k)
      end
      done_units = done_units + 1
    end
    if done_units > started then started = done_units end
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
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"ok":%d,' ..
    '"bad":%d,"sent_per_thread":%d,"least_per_thread":%d,"sent":%d,"distinct":%d,"socket_errors":%d,' ..
    '"timeouts":%d,"first_bad":"%s","group":%d,"units_per_thread":%d,"owed":[%s]}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, good, wrong, most, least, total, nreqs, e.connect + e.read + e.write + e.timeout, e.timeout,
    sample, group, started, table.concat(owed, ",")))
end
