import json
from datetime import datetime, timezone


def handler(payload, ctx):
    # The runtime hands you the raw body; decode + parse JSON ourselves.
    try:
        event = json.loads(payload) if payload else {}
    except (TypeError, ValueError):
        event = {}
    name = event.get("name", "world")
    return {
        "greeting": f"Hello, {name}!",
        "execution_id": ctx.get("execution_id", ""),
        "function_id": ctx.get("function_id", ""),
        "received_at": datetime.now(timezone.utc).isoformat(),
    }
