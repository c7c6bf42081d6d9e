-- wrk script: counts responses per second and non-2xx answers per thread, then reports failures and the
-- longest run of whole seconds in which no response at all came back (a stall).
-- Every request is what the Odoo web client sends for a list view: a JSON-RPC search_read POST.
local threads = {}

wrk.method = "POST"
wrk.path = "/web/dataset/call_kw/res.partner/search_read"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"model": "res.partner", "method": "search_read", ' ..
   '"args": [[]], "kwargs": {"fields": ["name"], "limit": 80}}}'

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   per_second = {}
   non2xx = 0
end

function response(status, headers, body)
   local second = os.time()
   per_second[second] = (per_second[second] or 0) + 1
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local seconds, failed = {}, 0
   for _, thread in ipairs(threads) do
      failed = failed + thread:get("non2xx")
      for second, count in pairs(thread:get("per_second")) do
         seconds[second] = (seconds[second] or 0) + count
      end
   end
   local first, last = nil, nil
   for second, _ in pairs(seconds) do
      if not first or second < first then first = second end
      if not last or second > last then last = second end
   end
   local stall, run = 0, 0
   if first then
      for second = first, last do
         if (seconds[second] or 0) == 0 then run = run + 1 else run = 0 end
         if run > stall then stall = run end
      end
   end
   local errors = summary.errors
   io.write(string.format("RESULT requests=%d non2xx=%d socket_errors=%d timeouts=%d longest_stall_s=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.1f rps=%.0f\n",
      summary.requests, failed, errors.connect + errors.read + errors.write, errors.timeout, stall,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      summary.requests / (summary.duration / 1e6)))
end
