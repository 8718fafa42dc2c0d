"""Writes a pool of signed events for wrk (bench/ingest.lua): one "ts<TAB>signature<TAB>body" line each.

    python3 wrk_pool.py SECRET_FILE FILE COUNT CHANNELS SEQ_BASE

Event SEQ_BASE+i goes to benchmark channel i % CHANNELS; every event id is unique, so each
request takes the full accept path (route, render, durable queueing), not the duplicate one.
Signed now: the pool must be used within the module's 5-minute timestamp window.
"""
import sys

import nexte


def main():
    secret, path = nexte.read_secret(sys.argv[1]), sys.argv[2]
    count, channels, base = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    makers = {}
    with open(path, "wb") as f:
        for i in range(count):
            route = nexte.channel_route(i % channels)
            if route not in makers:
                makers[route] = nexte.event_template(*route)
            body = makers[route](base + i)
            ts, sig = nexte.sign_event(secret, body)
            f.write(b"%s\t%s\t%s\n" % (ts.encode(), sig.encode(), body))


if __name__ == "__main__":
    main()
