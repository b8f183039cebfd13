-- wrk script for `make bench`: POST a Spintly event with a new eventId on
-- every request, count the answers, and stop without leaving a request
-- unanswered, so that the events stored can be compared with the 2xx
-- counted here exactly.
--
--   wrk -s post.lua -d LIMIT URL -- EVENT.json BASE OUT SECONDS QUOTA TRACK \
--       THREADS
--
-- EVENT.json  the body; its "eventId" number is replaced on each request
-- BASE        thread t (0, 1, ...) sends eventIds BASE + t * 1e9 + 1, + 2...
-- OUT         prefix of the files written: OUT.done.T when thread T has
--             its last answer; OUT.acked, by done(), one eventId a line,
--             of every 2xx whose body names one (when TRACK is 1)
-- SECONDS     send for this long (0: no limit)
-- QUOTA       send this many requests per thread (0: no limit)
-- TRACK       1: keep the eventIds of the 2xx for OUT.acked
-- THREADS     the -t given to wrk
--
-- When a thread is past SECONDS or QUOTA, delay() keeps each connection
-- idle after its answer; once every request the thread sent has its
-- answer, the thread stops, and the last thread to stop interrupts wrk
-- (SIGINT) so that it ends before LIMIT.  The key and Content-Type come
-- from wrk -H.  done() prints one line "BENCH key=value ..." that
-- t/bench/bench.pl reads; its sent_by_thread (the requests of thread 0,
-- 1, ...) names every eventId sent, for answers without a body (204).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec_t;
int clock_gettime(int clock, bench_timespec_t *ts);
int getpid(void);
int kill(int pid, int sig);
]]
local CLOCK_MONOTONIC, SIGINT = 1, 2
local ts = ffi.new("bench_timespec_t")

local function now()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

-- Per thread: each has its own Lua state.  The globals are read by done()
-- through thread:get().
local head, tail, next_id, seconds, quota, nthreads
local deadline, stopping
finished = false
sent, answers, ok = 0, 0, 0
statuses, acked = {}, {}
first_sent, last_answer = 0, 0

function init(args)
    local f = assert(io.open(args[1], "rb"))
    local text = f:read("*a")
    f:close()
    local s, e = text:find('"eventId"%s*:%s*')
    assert(s, args[1] .. ": no eventId")
    local digits = text:match("^%d+", e + 1)
    head = text:sub(1, e)
    tail = text:sub(e + 1 + #digits)
    next_id = tonumber(args[2]) + tid * 1e9
    out_prefix = args[3]
    seconds = tonumber(args[4]) or 0
    quota = tonumber(args[5]) or 0
    track_ids = args[6] == "1"
    nthreads = tonumber(args[7])
end

local function finish()
    finished = true
    local f = assert(io.open(out_prefix .. ".done." .. tid, "w"))
    f:close()
    wrk.thread:stop()
    for t = 0, nthreads - 1 do
        f = io.open(out_prefix .. ".done." .. t, "r")
        if not f then
            return
        end
        f:close()
    end
    ffi.C.kill(ffi.C.getpid(), SIGINT)
end

-- Called before a connection sends its next request: at the start and
-- after each answer (not after a reconnection, nor before the request wrk
-- makes up front to check the script).
function delay()
    if deadline == nil then
        deadline = seconds > 0 and now() + seconds or math.huge
        first_sent = now()
    end
    if not stopping
       and (now() >= deadline or (quota > 0 and sent >= quota)) then
        stopping = true
    end
    if stopping then
        if answers == sent and not finished then
            finish()
        end
        return 3600 * 1000
    end
    return 0
end

function request()
    if deadline == nil or finished then
        -- wrk's own check of the script, or a connection whose timer was
        -- already set when the thread stopped: nothing is stored for it
        return wrk.format("GET", nil, nil, nil)
    end
    sent = sent + 1
    next_id = next_id + 1
    return wrk.format("POST", nil, nil,
                      head .. string.format("%.0f", next_id) .. tail)
end

function response(status, headers, body)
    if finished then
        return
    end
    answers = answers + 1
    last_answer = now()
    if status >= 200 and status < 300 then
        ok = ok + 1
        if track_ids then
            local id = body:match('"eventId":(%d+)')
            if id then
                acked[#acked + 1] = id
            end
        end
    else
        statuses[status] = (statuses[status] or 0) + 1
    end
    if stopping and answers == sent then
        finish()
    end
end

function done(summary, latency, requests)
    local n = { sent = 0, answers = 0, ok = 0, finished = 0 }
    local first, last = math.huge, 0
    local st, bad, by_thread = {}, {}, {}

    for _, t in ipairs(threads) do
        n.sent = n.sent + t:get("sent")
        by_thread[#by_thread + 1] = string.format("%d", t:get("sent"))
        n.answers = n.answers + t:get("answers")
        n.ok = n.ok + t:get("ok")
        if t:get("finished") then
            n.finished = n.finished + 1
        end
        if t:get("first_sent") > 0 then
            first = math.min(first, t:get("first_sent"))
        end
        last = math.max(last, t:get("last_answer"))
        for s, c in pairs(t:get("statuses")) do
            st[s] = (st[s] or 0) + c
        end
    end
    for s, c in pairs(st) do
        bad[#bad + 1] = s .. ":" .. c
    end
    table.sort(bad)
    io.write(string.format(
        "BENCH sent=%d answers=%d ok=%d seconds=%.6f threads_finished=%d"
        .. " p50_us=%.0f p99_us=%.0f mean_us=%.0f"
        .. " connect_errors=%d read_errors=%d write_errors=%d timeouts=%d"
        .. " non2xx=%s sent_by_thread=%s\n",
        n.sent, n.answers, n.ok, last - first, n.finished,
        latency:percentile(50), latency:percentile(99), latency.mean,
        summary.errors.connect, summary.errors.read, summary.errors.write,
        summary.errors.timeout, #bad > 0 and table.concat(bad, ",") or "-",
        #by_thread > 0 and table.concat(by_thread, ",") or "-"))
    if threads[1] and threads[1]:get("track_ids") then
        local f = assert(io.open(threads[1]:get("out_prefix") .. ".acked",
                                 "w"))
        for _, t in ipairs(threads) do
            for _, id in ipairs(t:get("acked")) do
                f:write(id, "\n")
            end
        end
        f:close()
    end
end
