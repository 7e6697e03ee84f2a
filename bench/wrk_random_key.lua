-- wrk script for bench/scale_bench.py: each request names a key drawn at random from a list.
--
--   KEYS_FILE=keys.txt wrk -t1 -c64 -d10s -s bench/wrk_random_key.lua http://127.0.0.1:PORT/ -- encrypt.req
--
-- The request file is bench/sign.py's (headers, a blank line, the body), and its body holds the
-- text @KEY@ where the key id goes; KEYS_FILE has one key id a line. The signature cannot
-- match a changed body, so the server runs with --dev (any signature accepted): what this
-- measures is the key cache, not SigV4 (bench/scale_bench.py runs the same server on one key
-- too, for the ratio). done() is bench/wrk.lua's (WRK_BASE_LUA names it): the same RESULT line.

dofile(assert(os.getenv("WRK_BASE_LUA"), "WRK_BASE_LUA is not set"))

local headers, body_head, body_tail, keys, n

local function read_request(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  local blank = assert(text:find("\n\n", 1, true), path .. ": no blank line before the body")
  local h = {}
  for line in text:sub(1, blank - 1):gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    h[name] = value
  end
  return h, text:sub(blank + 2)
end

function init(args)
  local body
  headers, body = read_request(args[1])
  local at = assert(body:find("@KEY@", 1, true), "the body has no @KEY@")
  body_head, body_tail = body:sub(1, at - 1), body:sub(at + 5)
  keys, n = {}, 0
  local keys_file = os.getenv("KEYS_FILE")
  assert(keys_file, "KEYS_FILE is not set")
  for line in io.lines(keys_file) do
    n = n + 1
    keys[n] = line
  end
  assert(n > 0, "no keys")
  math.randomseed(os.time() + (tonumber(os.getenv("SEED") or "0")))
end

function request()
  return wrk.format("POST", "/", headers, body_head .. keys[math.random(n)] .. body_tail)
end
