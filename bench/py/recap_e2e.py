"""Clock and analysis helpers of bench/chores/recap_e2e.sh (standard library only).

    recap_e2e.py plan                      -> shell assignments: the day D (Europe/Paris, tomorrow),
                                              OFFSET0 (faked clock at D 00:05 Paris), OCCURRED_AT
                                              (D 00:01 Paris), TARGET (D+1 09:00 Paris, unix s)
    recap_e2e.py jump FILE TARGET LEAD     -> rewrites the libfaketime offset FILE so that the
                                              faked clock reads TARGET - LEAD now; prints
                                              "OFFSET MONO_CROSS": the offset and the real instant
                                              (CLOCK_MONOTONIC seconds, lean_slack's clock) at
                                              which the faked clock crosses TARGET
    recap_e2e.py watch CONTROL_PORT PID EXPECTED MONO_CROSS WAIT SAMPLES
                                           -> samples lean_slack and the daemon PID every 0.5 s
                                              into SAMPLES until EXPECTED receipts or WAIT s
    recap_e2e.py syscalls FILE TID         -> {syscall: [calls, total ms]} of thread TID in a
                                              `perf trace -s` summary FILE
    recap_e2e.py threads PID               -> {tid: [on-CPU s, runqueue wait s]} of PID's threads
    recap_e2e.py report RECEIPTS MONO_CROSS EXPECTED [SAMPLES] [ERROR_LOG TARGET] [THREADS0 THREADS1]
                                           -> one JSON object: received, distinct channels,
                                              duplicates, delay after the crossing p50/p99/max
                                              (s), and from the samples and the error log
                                              (faked times) where the time went

The faked clock runs at the real rate (a relative offset), so "TARGET in the faked clock" is
the real instant TARGET - OFFSET, which CLOCK_MONOTONIC gives exactly enough (both sampled
together, microseconds apart).
"""
import datetime
import json
import os
import re
import sys
import time
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def write_offset(path, offset):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%+d\n" % offset)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


def paris(d, h, m=0, s=0):
    return int(datetime.datetime(d.year, d.month, d.day, h, m, s, tzinfo=PARIS).timestamp())


def plan():
    now = time.time()
    day = (datetime.datetime.fromtimestamp(now, PARIS) + datetime.timedelta(days=1)).date()
    nxt = day + datetime.timedelta(days=1)
    offset0 = paris(day, 0, 5) - int(now)
    occurred = datetime.datetime.fromtimestamp(paris(day, 0, 1), datetime.timezone.utc)
    print("DAY=%s" % day.isoformat())
    print("OFFSET0=%d" % offset0)
    print("OCCURRED_AT=%s" % occurred.strftime("%Y-%m-%dT%H:%M:%SZ"))
    print("TARGET=%d" % paris(nxt, 9))


def jump(path, target, lead):
    offset = round(target - lead - time.time())
    write_offset(path, offset)
    # The faked clock is real + offset: it reads TARGET at real time TARGET - offset.
    real, mono = time.time(), time.monotonic()
    print("%d %.6f" % (offset, mono + (target - offset - real)))


def pct(xs, q):
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * len(xs) + 0.5)) - 1))]


LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})\]")


def log_time(line):
    """Unix time of an error-log line ("[2026-12-10 08:00:02.530502]": ErrorLogFormat %{cu}t,
    the faked clock, in httpd's local time zone, which the script sets to UTC)."""
    m = LOG_TIME.match(line)
    if not m:
        return None
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def from_log(path, target):
    """Where the time went, from the module's own lines (faked clock): the chores round
    (NXS00060 summary; NXS00126 each recap queued at trace1) and the deliveries (NXS00054 at
    trace1: posted, with the ms since the message was accepted)."""
    out = {}
    queued, posted, lag = [], [], []
    rounds = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if "NXS00060" in line and "recaps queued" in line:
                t = log_time(line)
                m = re.search(r"(\d+) recaps queued, (\d+) skipped", line)
                tid = re.search(r"tid (\d+)\]", line)
                rounds.append({"end_after_s": round(t - target, 3) if t else None,
                               "queued": int(m.group(1)) if m else None,
                               "skipped": int(m.group(2)) if m else None,
                               "tid": tid.group(1) if tid else None})
            elif "NXS00126" in line:
                t = log_time(line)
                if t:
                    queued.append(t - target)
            elif "NXS00054" in line:
                t = log_time(line)
                m = re.search(r", (\d+) ms after it was accepted", line)
                if t:
                    posted.append(t - target)
                if m:
                    lag.append(int(m.group(1)) / 1000.0)
    out["rounds"] = rounds
    if queued:
        out["queued_first_s"], out["queued_last_s"] = round(min(queued), 3), round(max(queued), 3)
        out["queued_count"] = len(queued)
    if posted:
        out["posted_first_s"], out["posted_last_s"] = round(min(posted), 3), round(max(posted), 3)
        out["posted_count"] = len(posted)
    if lag:
        out["queue_to_post_p50_s"] = round(pct(lag, 0.5), 3)
        out["queue_to_post_p99_s"] = round(pct(lag, 0.99), 3)
        out["queue_to_post_max_s"] = round(max(lag), 3)
    return out


def report(receipts, mono_cross, expected, samples=None, error_log=None, target=None):
    per_channel = {}
    delays = []
    with open(receipts, encoding="ascii") as f:
        for line in f:
            _, chan, t_ns = line.split()
            if not chan.startswith("C0RC"):
                continue
            per_channel[chan] = per_channel.get(chan, 0) + 1
            delays.append(int(t_ns) / 1e9 - mono_cross)
    out = {
        "expected": expected,
        "received": len(delays),
        "channels": len(per_channel),
        "duplicates": sum(n - 1 for n in per_channel.values() if n > 1),
        "first_s": round(min(delays), 3) if delays else None,
        "p50_s": round(pct(delays, 0.5), 3) if delays else None,
        "p99_s": round(pct(delays, 0.99), 3) if delays else None,
        "max_s": round(max(delays), 3) if delays else None,
    }
    if delays:
        # Receipts per second of the burst (from the first receipt), for the delivery rate.
        t0 = min(delays)
        span = max(delays) - t0
        out["receipts_per_s"] = round((len(delays) - 1) / span, 1) if span > 0 else None
        out["within_60s"] = sum(1 for d in delays if d <= 60.0)
    if samples and os.path.exists(samples):
        rows = [json.loads(x) for x in open(samples, encoding="ascii") if x.strip()]
        out["samples"] = len(rows)
        # Receipts at 10 s steps after 09:00, to see the shape of the burst.
        steps = {}
        for r in rows:
            k = int(r["after_s"] // 10) * 10
            if k >= 0:
                steps[k] = r["receipts"]
        out["receipts_by_10s"] = [steps[k] for k in sorted(steps)]
    if error_log and target is not None and os.path.exists(error_log):
        out["log"] = from_log(error_log, float(target))
    return out


def report_threads(res, before, after):
    """Adds the per-thread split to report RES (the round's end and tid from its log)."""
    rounds = res.get("log", {}).get("rounds") or []
    if rounds and rounds[-1].get("tid"):
        res["threads"] = thread_split(before, after, rounds[-1]["tid"], rounds[-1].get("end_after_s"))
    return res


def proc_cpu_rss(pid):
    """(user+system CPU seconds, VmRSS KiB) of PID."""
    with open("/proc/%d/stat" % pid, encoding="ascii") as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = 0
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return cpu, rss


def threads(pid):
    """{tid: [on-CPU s, runqueue wait s]} of every thread of PID (/proc/PID/task/*/schedstat:
    time run and time spent runnable but waiting for a CPU)."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid), encoding="ascii") as f:
                run, wait = f.read().split()[:2]
        except OSError:
            continue
        out[tid] = [int(run) / 1e9, int(wait) / 1e9]
    return out


def thread_split(before, after, chores_tid, round_s):
    """The burst's CPU per daemon thread: the chores thread's on-CPU and runqueue time and the
    rest of its round (blocked: fsync, locks); the other threads together and the busiest."""
    b, a = json.load(open(before)), json.load(open(after))
    delta = {t: [a[t][0] - b.get(t, [0, 0])[0], a[t][1] - b.get(t, [0, 0])[1]] for t in a}
    out = {}
    if chores_tid in delta:
        run, wait = delta.pop(chores_tid)
        out["chores_cpu_s"], out["chores_runq_s"] = round(run, 2), round(wait, 2)
        if round_s is not None:
            out["chores_blocked_s"] = round(round_s - run - wait, 2)
    out["other_threads_cpu_s"] = round(sum(v[0] for v in delta.values()), 2)
    out["other_threads_runq_s"] = round(sum(v[1] for v in delta.values()), 2)
    busy = sorted(delta.values(), key=lambda v: -v[0])
    out["other_threads_busy"] = sum(1 for v in busy if v[0] > 0.05)
    out["busiest_other_cpu_s"] = [round(v[0], 2) for v in busy[:10]]
    return out


def syscalls(path, tid):
    """The system calls of thread TID in a `perf trace -s` summary: {name: [calls, total ms]}
    for those that block (syncs, sleeps, futex) or write."""
    out, inside = {}, False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^ \S+ \((\d+)\), ", line)
            if m:
                inside = m.group(1) == str(tid)
                continue
            if inside:
                parts = line.split()
                if len(parts) >= 4 and parts[1].isdigit():
                    if parts[0] in ("fdatasync", "fsync", "pselect6", "select", "nanosleep",
                                    "clock_nanosleep", "futex", "pwrite64", "pwritev", "pread64"):
                        out[parts[0]] = [int(parts[1]), float(parts[3])]
    return out


def watch(control_port, pid, expected, mono_cross, wait, samples):
    """Samples lean_slack's counts and the daemon's CPU and RSS every 0.5 s (one process, one
    keep-alive connection: the harness stays out of the module's way on 2 CPUs) until
    EXPECTED receipts or WAIT seconds after the crossing."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", control_port, timeout=10)
    rss_max, ended = 0, "timeout"
    with open(samples, "w", encoding="ascii") as out:
        while True:
            t = time.monotonic()
            conn.request("GET", "/stats")
            st = json.loads(conn.getresponse().read())
            cpu, rss = proc_cpu_rss(pid)
            rss_max = max(rss_max, rss)
            out.write(json.dumps({"t": round(t, 3), "after_s": round(t - mono_cross, 3),
                                  "receipts": st["receipts"], "posts": st["posts"],
                                  "violations": st["violations"], "cpu_s": cpu, "rss_kib": rss}) + "\n")
            out.flush()
            if st["receipts"] >= expected:
                ended = "all"
                break
            if t - mono_cross > wait:
                break
            time.sleep(0.5)
    print(json.dumps({"ended": ended, "rss_max_kib": rss_max}))


def main():
    cmd = sys.argv[1]
    if cmd == "plan":
        plan()
    elif cmd == "jump":
        jump(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "watch":
        a = sys.argv[2:]
        watch(int(a[0]), int(a[1]), int(a[2]), float(a[3]), float(a[4]), a[5])
    elif cmd == "syscalls":
        print(json.dumps(syscalls(sys.argv[2], sys.argv[3])))
    elif cmd == "threads":
        print(json.dumps(threads(int(sys.argv[2]))))
    elif cmd == "report":
        a = sys.argv[2:]
        res = report(a[0], float(a[1]), int(a[2]), a[3] if len(a) > 3 else None,
                     a[4] if len(a) > 4 else None, a[5] if len(a) > 5 else None)
        if len(a) > 7:
            res = report_threads(res, a[6], a[7])
        print(json.dumps(res))
    else:
        raise SystemExit("recap_e2e.py plan | jump FILE TARGET LEAD | report RECEIPTS MONO_CROSS EXPECTED ...")


if __name__ == "__main__":
    main()
