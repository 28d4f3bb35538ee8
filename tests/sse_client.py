"""Reading Server-Sent Events in tests: parse a text/event-stream body into (id, event, data) tuples."""

from __future__ import annotations

import json
from typing import Any

Event = tuple[int, str, Any]


def parse(body: str) -> list[Event]:
    events: list[Event] = []
    for block in body.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            fields[name] = fields[name] + "\n" + value if name in fields and name == "data" else value
        if "event" in fields:
            events.append((int(fields.get("id", "0")), fields["event"], json.loads(fields.get("data", "null"))))
    return events


def named(events: list[Event], name: str) -> list[Any]:
    return [data for _, event, data in events if event == name]
