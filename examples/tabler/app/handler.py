import json
from tabulate import tabulate


def handler(payload, ctx):
    try:
        event = json.loads(payload) if payload else {}
    except (TypeError, ValueError):
        event = {}
    rows = event.get("rows", [["alice", 1], ["bob", 2]])
    return {
        "table": tabulate(rows, tablefmt="plain"),
        "execution_id": ctx.get("execution_id", ""),
    }
