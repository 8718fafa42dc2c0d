-- wrk script for the ingest measure: POSTs pre-signed events from a pool file
-- (bench/py/wrk_pool.py), each wrk thread taking every Nth line, and counts answers
-- by status.  A thread that runs out of its share starts over: those requests are
-- duplicates (200), reported separately and not counted as accepted.
--   wrk -t T ... -s bench/ingest.lua URL -- POOL_FILE T
local threads = {}
local nthreads = 0

function setup(thread)
    thread:set("index", nthreads)
    nthreads = nthreads + 1
    table.insert(threads, thread)
end

function init(args)
    local nthreads_all = tonumber(args[2])
    reqs = {}
    counts = {}
    local i = 0
    for line in io.lines(args[1]) do
        if i % nthreads_all == index then
            local ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
            reqs[#reqs + 1] = wrk.format("POST", nil, {
                ["Content-Type"] = "application/json",
                ["X-Nexte-Timestamp"] = ts,
                ["X-Nexte-Signature"] = sig,
            }, body)
        end
        i = i + 1
    end
    n = 0
    wraps = 0
end

function request()
    n = n + 1
    if n > #reqs then
        n = 1
        wraps = wraps + 1
    end
    return reqs[n]
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}
    local wrapped = 0
    for _, t in ipairs(threads) do
        local c = t:get("counts")
        for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
        wrapped = wrapped + t:get("wraps")
    end
    local parts = {}
    for k, v in pairs(total) do parts[#parts + 1] = k .. ":" .. v end
    io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d statuses=%s wraps=%d errors=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        latency.max, table.concat(parts, ","), wrapped,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
