"""A device's queue of offline events, answered item by item: the one shape of every queue endpoint
(the engine's offline batch, the gym desk's courtesy passes).

An item that does not parse is answered `invalid` (naming its fields) and the others still run;
each event id is bound to its item (`organizations.idempotency.events_claim`), so a retried push
answers what the first one recorded; an event an identical push is still running runs here too,
since the engine records an event id once, so both pushes answer recorded or duplicate.
"""

from collections.abc import Callable

from organizations.idempotency import KeyInUse, events_claim, events_complete


def batch_answer(request, raw_items: list, item_serializer, record: Callable[[dict[int, dict]], dict[int, dict]]) -> dict:
    """Parse `raw_items` with `item_serializer`, claim their event ids, and pass the items to run
    ({index: validated data}, in index order) to `record`, which returns {index: result}.
    Returns {"summary": {status: count}, "results": [result + "index", in the items' order]}."""
    answers, parsed = {}, {}
    for index, raw in enumerate(raw_items):
        item = item_serializer(data=raw if isinstance(raw, dict) else {})
        if isinstance(raw, dict) and item.is_valid():
            parsed[index] = item.validated_data
        else:
            answers[index] = invalid_item(raw, item.errors if isinstance(raw, dict) else None)
    claims, known = events_claim(request, {i: (parsed[i]["event_id"], raw_items[i]) for i in parsed})
    answers.update(known)
    running = sorted([*claims, *(i for i, r in known.items() if r.get("code") == KeyInUse.code)])
    try:
        answers.update(record({index: parsed[index] for index in running}))
    finally:
        events_complete(claims, answers)
    ordered = [{**answers[i], "index": i} for i in range(len(raw_items))]
    summary: dict[str, int] = {}
    for result in ordered:
        summary[result["status"]] = summary.get(result["status"], 0) + 1
    return {"summary": summary, "results": ordered}


def invalid_item(raw, errors) -> dict:
    """The answer to a queued item that does not parse: `invalid`, naming its fields."""
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    if errors is None:
        errors = {"non_field_errors": ["Each item must be an object."]}
    fields = {name: [str(message) for message in (messages if isinstance(messages, list) else [messages])]
              for name, messages in errors.items()}
    name, messages = next(iter(fields.items()))
    detail = messages[0] if name == "non_field_errors" else f"{name}: {messages[0]}"
    return {"event_id": str(event_id) if isinstance(event_id, str | int) else None, "status": "invalid",
            "code": "invalid", "detail": detail, "errors": fields}
