"""Sends signed events to the module over keep-alive connections, paced or as fast as it can.

    python3 send.py PORT SECRET_FILE --channels C --count N [--rate R] [--hot-rate H]
                    [--conns K] [--procs P] [--seq-base S] [--log FILE]

Event SEQ (S..S+N-1) goes to benchmark channel SEQ % C (nexte.channel_route) and carries
marker NXB<SEQ>.  --rate R paces sends at R/s (event i is due at start + i/R); without it,
K connections send back to back.  --hot-rate H adds events for the extra channel number C
(the "hot" one) at H/s on top, marked from S+N on.  Each request is signed just before it
is sent (the timestamp window is 5 minutes).  --log writes "seq channel t_send_ns
t_answer_ns status" lines (CLOCK_MONOTONIC, same clock as lean_slack).  Prints a summary
line: sent, status counts, rate achieved.
"""
import argparse
import asyncio
import json
import os
import sys
import time

import nexte


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("secret_file")
    ap.add_argument("--channels", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--hot-rate", type=float, default=0)
    ap.add_argument("--conns", type=int, default=32)
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--seq-base", type=int, default=1)
    ap.add_argument("--log")
    return ap.parse_args()


def schedule(a):
    """(due offset in s or None, seq, channel number), in send order."""
    plan = []
    for i in range(a.count):
        plan.append((i / a.rate if a.rate else None, a.seq_base + i, i % a.channels))
    if a.hot_rate and a.rate:
        seconds = a.count / a.rate
        for j in range(int(seconds * a.hot_rate)):
            plan.append((j / a.hot_rate, a.seq_base + a.count + j, a.channels))
        plan.sort(key=lambda x: x[0])
    return plan


async def worker(a, secret, plan, pos, start, makers, log, counts):
    reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
    while True:
        i = pos[0]
        if i >= len(plan):
            break
        pos[0] = i + 1
        due, seq, ch = plan[i]
        if due is not None:
            delay = start + due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        n, k = nexte.channel_route(ch)
        if (n, k) not in makers:
            makers[(n, k)] = nexte.event_template(n, k)
        body = makers[(n, k)](seq)
        t_send = time.monotonic_ns()
        writer.write(nexte.event_request(secret, "/slack/events", body))
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await reader.readexactly(length)
        t_ans = time.monotonic_ns()
        counts[status] = counts.get(status, 0) + 1
        if log is not None:
            log.append("%d %s %d %d %d\n" % (seq, nexte.channel(n, k), t_send, t_ans, status))
        if b"connection: close" in head.lower():
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
    writer.close()


async def run(a, plan):
    secret = nexte.read_secret(a.secret_file)
    pos, makers, counts = [0], {}, {}
    log = [] if a.log else None
    start = time.monotonic() + 0.2
    t0 = time.monotonic()
    await asyncio.gather(*(worker(a, secret, plan, pos, start, makers, log, counts) for _ in range(a.conns)))
    return counts, log, time.monotonic() - t0


def main():
    """With --procs P, P processes each send every P-th event; each prints its own summary line."""
    a = parse()
    plan = schedule(a)
    children, me = [], 0
    for p in range(1, a.procs):
        pid = os.fork()
        if pid == 0:
            children, me = [], p
            break
        children.append(pid)
    plan = plan[me::a.procs]
    if a.log and me:
        a.log = "%s.%d" % (a.log, me)
    counts, log, secs = asyncio.run(run(a, plan))
    if a.log:
        with open(a.log, "w") as f:
            f.writelines(log)
    sent = sum(counts.values())
    print(json.dumps({"sent": sent, "status": counts, "seconds": round(secs, 2),
                      "per_s": round(sent / secs, 1)}), flush=True)
    for pid in children:
        os.waitpid(pid, 0)
    if me:
        os._exit(0)


if __name__ == "__main__":
    main()
