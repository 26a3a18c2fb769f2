"""What an audit entry records of an event envelope (plain Python)."""
import uuid
from datetime import datetime


def content_from_envelope(envelope, recorded_at):
    """The content fields of the entry for a validated envelope, normalised so that reading the
    row back from PostgreSQL gives exactly the same values (and so the same hash)."""
    subjects = [str(s) for s in envelope.get("subjects") or []]
    if envelope["subject"] not in subjects:
        subjects.append(envelope["subject"])
    return {
        "event_id": str(uuid.UUID(str(envelope["event_id"]))),
        "event_type": envelope["event_type"],
        "source": envelope["source"],
        "occurred_at": _aware(envelope["occurred_at"]),
        "recorded_at": recorded_at,
        "actor": envelope.get("actor"),
        "entity": envelope.get("entity"),
        "subject": envelope["subject"],
        "subjects": subjects,
        "payload": envelope,
    }


def _aware(value):
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("occurred_at must carry a time zone")
    return moment
