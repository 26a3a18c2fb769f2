"""What an audit entry records of an event envelope (plain Python)."""
import re
import uuid
from datetime import datetime

from services.audit.domain import chain, items

# W3C traceparent: version-traceid-spanid-flags
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


def content_from_envelope(envelope, recorded_at):
    """The content fields (and the payload) of the entry for a validated envelope, normalised so that
    reading the row back from PostgreSQL gives exactly the same values (and so the same hash).

    The payload is the whole envelope; where it holds floats, pass it through PostgreSQL's jsonb first
    (see the repository) and give that to `with_payload(fields_of(...), payload)` instead."""
    return with_payload(fields_of(envelope, recorded_at), envelope)


def fields_of(envelope, recorded_at):
    """The content fields of the entry but the payload digest."""
    subjects = [str(s) for s in envelope.get("subjects") or []]
    if envelope["subject"] not in subjects:
        subjects.append(envelope["subject"])
    roles = envelope.get("roles")
    return {
        "format": items.FORMAT,
        "event_id": str(uuid.UUID(str(envelope["event_id"]))),
        "event_type": envelope["event_type"],
        "source": envelope["source"],
        "occurred_at": _aware(envelope["occurred_at"]),
        "recorded_at": recorded_at,
        "actor": envelope.get("actor"),
        "roles": sorted(str(r) for r in roles) if roles is not None else None,
        "entity": envelope.get("entity"),
        "subject": envelope["subject"],
        "subjects": subjects,
        "trace_id": trace_id_of(envelope.get("trace") or {}),
    }


def has_float(value):
    """True when a JSON value holds a float anywhere: the only values jsonb may give back otherwise
    (1e20 comes back as 100000000000000000000)."""
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(has_float(v) for v in value)
    return False


def with_payload(content, payload):
    return dict(content, payload=payload, payload_digest=chain.payload_digest(payload))


def trace_id_of(trace):
    match = _TRACEPARENT.match(str(trace.get("traceparent", "")))
    return match.group(1) if match and set(match.group(1)) != {"0"} else None


def _aware(value):
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("occurred_at must carry a time zone")
    return moment
