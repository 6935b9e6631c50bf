-- wrk script: every request issues another draft invoice. Arguments: origin, cookie, and a
-- file of draft ids (one per line); each thread takes every n-th id, so no draft is issued
-- twice.
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

function init(args)
  origin, cookie = args[1], args[2]
  ids = {}
  local n = 0
  for line in io.lines(args[3]) do
    if n % args[4] == index then table.insert(ids, line) end
    n = n + 1
  end
  next_id = 1
end

function request()
  local id = ids[next_id] or "none-left"
  next_id = next_id + 1
  return wrk.format("POST", "/api/finance/invoices/issue", {
    ["Origin"] = origin,
    ["Cookie"] = cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
  }, "invoice_id=" .. id)
end

function done(summary, latency, requests)
  local codes = summary.errors.status
  io.write(string.format("non-2xx/3xx answers: %d\n", codes))
end
