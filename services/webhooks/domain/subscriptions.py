"""Subscriptions and the deliveries they get (plain Python): which events match, what a delivery holds, and what
a subscriber is shown of a subscription (never its secret, except once when it is created)."""
import uuid
from datetime import timezone

from common.feed import FEED_TYPES

PING = "webhook_ping"  # a test delivery: only to the subscription pinged, never in the feed


def type_errors(event_types):
    if event_types is None:
        return []
    unknown = [t for t in event_types if t not in FEED_TYPES]
    if unknown:
        return [{"field": "event_types", "message": f"unknown event type {unknown[0][:80]!r}; one of: "
                 + ", ".join(FEED_TYPES)}]
    return []


def matches(subscription, event):
    """Whether `event` (a feed event taken in while the subscription exists) goes to it: same entity, and a type it
    asked for."""
    types = subscription["event_types"]
    return event["entity"] == subscription["entity"] and (types is None or event["type"] in types)


def delivery_row(subscription_id, event, now):
    return {"id": str(uuid.uuid4()), "subscription_id": subscription_id, "event_id": event["id"],
            "event_type": event["type"], "event": event, "status": "pending", "attempts": 0,
            "next_attempt_at": now, "queued_at": now}


def ping_event(subscription, actor, now):
    """A test event shaped like every feed event, for the subscription's own entity."""
    return {"id": str(uuid.uuid4()), "type": PING, "source": "webhooks",
            "occurred_at": now.astimezone(timezone.utc).isoformat(timespec="microseconds"),
            "entity": subscription["entity"], "subject": subscription["id"], "subjects": [subscription["id"]],
            "actor": actor, "data": {"webhook_id": subscription["id"]}}


def public(subscription, counts=None):
    """A subscription as the API shows it."""
    view = {key: subscription[key] for key in ("id", "entity", "url", "event_types", "description", "active",
                                               "disabled_reason", "revision", "created_by")}
    view.update(created_at=subscription["created_at"].isoformat(), updated_at=subscription["updated_at"].isoformat())
    view["event_types"] = list(view["event_types"]) if view["event_types"] is not None else None
    if counts is not None:
        view["deliveries"] = {status: counts.get(status, 0) for status in ("pending", "delivered", "failed")}
    return view


def log_entry(row):
    """A delivery as the delivery log shows it."""
    moment = lambda value: value.isoformat() if value is not None else None  # noqa: E731
    return {"id": row["id"], "event_id": row["event_id"], "event_type": row["event_type"], "status": row["status"],
            "attempts": row["attempts"], "queued_at": moment(row["queued_at"]),
            "next_attempt_at": moment(row["next_attempt_at"]) if row["status"] == "pending" else None,
            "delivered_at": moment(row["delivered_at"]),
            "last_attempt": None if row["last_attempt_at"] is None else {
                "at": moment(row["last_attempt_at"]), "status_code": row["last_status_code"],
                "latency_ms": row["last_latency_ms"], "error": row["last_error"]}}
