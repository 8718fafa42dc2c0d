"""Joins send.py logs with lean_slack receipts: 202 -> receipt latency per message.

    python3 latency.py RECEIPTS HOT_CHANNEL SENDLOG...

Prints one JSON object: for the spread channels and for the hot channel (if any): sent,
accepted (202), delivered, missing, and p50/p99/max of 202->receipt and send->receipt in ms.
A message delivered twice counts once (first receipt).
"""
import json
import sys


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    return sorted_vals[min(len(sorted_vals) - 1, int(p / 100.0 * len(sorted_vals)))]


def main():
    receipts_path, hot = sys.argv[1], sys.argv[2]
    first = {}
    with open(receipts_path) as f:
        for line in f:
            marker, _chan, t = line.split()
            first.setdefault(int(marker), int(t))
    groups = {"spread": {"sent": 0, "accepted": 0, "lat": [], "lat_send": []},
              "hot": {"sent": 0, "accepted": 0, "lat": [], "lat_send": []}}
    for path in sys.argv[3:]:
        with open(path) as f:
            for line in f:
                seq, chan, t_send, t_ans, status = line.split()
                g = groups["hot" if chan == hot else "spread"]
                g["sent"] += 1
                if status != "202":
                    continue
                g["accepted"] += 1
                t = first.get(int(seq))
                if t is not None:
                    g["lat"].append((t - int(t_ans)) / 1e6)
                    g["lat_send"].append((t - int(t_send)) / 1e6)
    out = {}
    for name, g in groups.items():
        lat, lat_send = sorted(g["lat"]), sorted(g["lat_send"])
        out[name] = {"sent": g["sent"], "accepted": g["accepted"], "delivered": len(lat),
                     "missing": g["accepted"] - len(lat),
                     "p50": pct(lat, 50), "p99": pct(lat, 99), "max": lat[-1] if lat else None,
                     "send_p50": pct(lat_send, 50), "send_p99": pct(lat_send, 99)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
