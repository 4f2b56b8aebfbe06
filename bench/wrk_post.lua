-- wrk script for the delivery ceiling: every request POSTs one form-encoded import record to
-- cc-mock-api with Basic auth, like cc-connector and the peer do.
-- Environment: BENCH_BODY_FILE names a file with the form body, BENCH_AUTHORIZATION contains
-- the whole Authorization header value.
local body_file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"), "BENCH_BODY_FILE is missing or unreadable")
wrk.method = "POST"
wrk.body = body_file:read("*a")
body_file:close()
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = assert(os.getenv("BENCH_AUTHORIZATION"), "BENCH_AUTHORIZATION is not set")
