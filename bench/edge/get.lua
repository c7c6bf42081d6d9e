-- wrk script: GETs of the given URL with the session cookie from SESSION, as a browser fetches a page's assets; one RESULT line.
wrk.headers["Cookie"] = "session_id=" .. os.getenv("SESSION")

function done(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
