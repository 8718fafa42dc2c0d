"""Sums send.py summary lines (one per process) from stdin: {"sent","status","seconds","per_s"}."""
import json
import sys

total, status, seconds = 0, {}, 0.0
for line in sys.stdin:
    if line.startswith("{"):
        d = json.loads(line)
        total += d["sent"]
        seconds = max(seconds, d["seconds"])
        for k, v in d["status"].items():
            status[k] = status.get(k, 0) + v
print(json.dumps({"sent": total, "status": status, "seconds": seconds,
                  "per_s": round(total / seconds, 1) if seconds else 0}))
