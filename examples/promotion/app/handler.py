import json

from quotes import pick


def handler(payload, ctx):
    try:
        event = json.loads(payload) if payload else {}
    except (TypeError, ValueError):
        event = {}
    return {"ok": True, "quote": pick(event.get("n", 0))}
