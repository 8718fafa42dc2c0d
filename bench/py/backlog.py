"""Backlog drain from lean_slack receipts.

    python3 backlog.py RECEIPTS T0_NS EXPECTED CHANNELS

T0_NS: when the outage ended (CLOCK_MONOTONIC ns).  Prints JSON: delivered, distinct,
duplicates, first receipt and drain time after T0 (s), the busiest channel's message count,
the rate-limit bound for it (count - burst 2, at 1 message/s), the most messages any
channel received within one second (sliding window), when channels got their first message
after T0 (median, latest) and the longest first-to-last span of one channel.
"""
import collections
import json
import sys


def main():
    path, t0, expected, channels = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    per_chan = collections.defaultdict(list)
    markers = collections.Counter()
    for line in open(path):
        marker, chan, t = line.split()
        per_chan[chan].append(int(t))
        markers[int(marker)] += 1
    times = sorted(t for ts in per_chan.values() for t in ts)
    busiest = max((len(v) for v in per_chan.values()), default=0)
    max_in_1s = 0
    for ts in per_chan.values():
        ts.sort()
        j = 0
        for i, t in enumerate(ts):
            while t - ts[j] >= 1_000_000_000:
                j += 1
            max_in_1s = max(max_in_1s, i - j + 1)
    starts = sorted(ts[0] - t0 for ts in per_chan.values())
    spans = sorted(ts[-1] - ts[0] for ts in per_chan.values())
    out = {"delivered": len(times), "distinct": len(markers),
           "duplicates": sum(c - 1 for c in markers.values()), "expected": expected,
           "channels_seen": len(per_chan), "channels": channels,
           "first_s": (times[0] - t0) / 1e9 if times else None,
           "drain_s": (times[-1] - t0) / 1e9 if times else None,
           "drain_from_first_s": (times[-1] - times[0]) / 1e9 if times else None,
           "busiest": busiest, "bound_s": max(0, busiest - 2), "max_in_1s": max_in_1s,
           # When each channel's first message went (its head waiting out its retry backoff),
           # and how long each channel took from its first message to its last.
           "chan_start_p50_s": starts[len(starts) // 2] / 1e9 if starts else None,
           "chan_start_max_s": starts[-1] / 1e9 if starts else None,
           "chan_span_max_s": spans[-1] / 1e9 if spans else None}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
