-- wrk script for the load benchmarks: replays one signed request file (bench/sign.py writes them).
--
--   wrk -t1 -c8 -d5s -s bench/wrk.lua http://127.0.0.1:PORT/ -- encrypt.req
--   REQ_FILE=encrypt.req wrk -t1 -c8 -d5s -s bench/wrk.lua http://127.0.0.1:PORT/
--
-- A request file is "Name: value" lines, one blank line, then the body. Every line is sent as it
-- is, Host included (it is signed), as `POST /` (or `POST $REQ_PATH` when REQ_PATH is set: an
-- XKS proxy's path, bench/xks_bench.py); wrk adds only Content-Length.
-- Without a file, a plain POST of BODY_BYTES bytes (default 4096) goes to the URL's path: the
-- HTTP-only cost of a request of that size, for the hello server (bench/hello).
-- CONN_CLOSE=1 adds "Connection: close", so that every request opens its own TCP connection
-- (wrk then counts each connection the server closes as a read error).
-- When wrk ends, done() prints one line, "RESULT key=value ...", for bench/harness.py; latencies
-- are in microseconds. LABEL=word (no spaces) is copied into it.

local function read_request(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  local blank = text:find("\n\n", 1, true)
  assert(blank, path .. ": no blank line between the headers and the body")
  local headers = {}
  for line in text:sub(1, blank - 1):gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    assert(name, path .. ": not a header line: " .. line)
    headers[name] = value
  end
  return headers, text:sub(blank + 2)
end

local function flag(name)
  local v = os.getenv(name)
  return v ~= nil and v ~= "" and v ~= "0"
end

local request_bytes

function init(args)
  local path = args[1] or os.getenv("REQ_FILE")
  local headers, body, url_path
  if path and path ~= "" then
    headers, body = read_request(path)
    url_path = os.getenv("REQ_PATH")
    if url_path == nil or url_path == "" then
      url_path = "/"
    end
  else
    headers = { ["Content-Type"] = "application/x-amz-json-1.1" }
    body = string.rep("a", tonumber(os.getenv("BODY_BYTES") or "4096"))
  end
  if flag("CONN_CLOSE") then
    headers["Connection"] = "close"
  end
  request_bytes = wrk.format("POST", url_path, headers, body)
end

function request()
  return request_bytes
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT label=%s requests=%d secs=%.3f rps=%.1f mean_us=%.0f p50_us=%.0f p90_us=%.0f " ..
    "p99_us=%.0f p999_us=%.0f max_us=%.0f err_connect=%d err_read=%d err_write=%d " ..
    "err_status=%d err_timeout=%d\n",
    os.getenv("LABEL") or "", summary.requests, secs, summary.requests / secs, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
