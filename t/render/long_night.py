#!/usr/bin/env python3
"""Writes the input of a morning summary after a long night: 500 held envelopes, every postable event
fixture in turn, with amounts in twelve currencies, so that the summary rendered from it reaches every
limit it has (40 items listed, 10 currencies per type, two sections of counts).

    python3 t/render/long_night.py OUT.json     (used by t/slack-types/check.sh and t/render/mock_accepts.py)
"""

import copy
import json
import os
import sys

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "events")
NOT_POSTED = {"account.updated", "appointment.rescheduled"}
CURRENCIES = ["EUR", "USD", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "CZK"]
COUNT = 500


def envelopes():
    names = sorted(f[:-5] for f in os.listdir(FIXTURES) if f.endswith(".json") and f[:-5] not in NOT_POSTED)
    fixtures = []
    for name in names:
        with open(os.path.join(FIXTURES, name + ".json"), encoding="utf-8") as f:
            fixtures.append(json.load(f))
    events = []
    for i in range(COUNT):
        event = copy.deepcopy(fixtures[i % len(fixtures)])
        event["id"] = f"evt_night_{i:03d}"
        if isinstance(event.get("amount"), dict):
            event["amount"]["currency"] = CURRENCIES[(i // len(fixtures)) % len(CURRENCIES)]
        events.append(event)
    return {"events": events}


def write(path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(envelopes(), f, ensure_ascii=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    write(sys.argv[1])
