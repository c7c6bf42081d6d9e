-- wrk script: a logged-in user's JSON-RPC read (res.partner search_count), the session cookie from SESSION.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "session_id=" .. os.getenv("SESSION")
wrk.body = '{"jsonrpc":"2.0","method":"call","id":1,"params":{"model":"res.partner","method":"search_count","args":[[]],"kwargs":{}}}'

function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
