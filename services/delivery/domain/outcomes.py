"""What an attempt's answer does to its delivery: the new state, what is stored, which event tells of it.

accepted (a duplicate included) and rejected are final; a transient failure goes back to `queued` with the next
attempt time from the back-off, or ends `failed` once the retry time is used up. A rejection and a failure get an
owner: the person who asked for the delivery (for automatic ones, who caused the certificate's release).
"""
from dataclasses import dataclass

from common.contracts.events import DELIVERY_ACCEPTED, DELIVERY_FAILED, DELIVERY_REJECTED


@dataclass
class Step:
    values: dict  # the delivery's new column values
    attempt: dict  # the attempt's answer
    event: str | None  # the event to emit (None: a retry, no state anyone waits for)
    data: dict | None


def ref(delivery):
    return {"id": delivery["id"], "vin": delivery["vin"], "reference_id": delivery["reference_id"],
            "version_number": delivery["version_number"], "target": delivery["target_name"]}


def after_attempt(delivery, sent, now, backoff, rand=None):
    """The Step for `sent` (transport.Sent) answering attempt `delivery['attempts']` of `delivery`."""
    outcome = sent.outcome
    number = delivery["attempts"]
    attempt = {"latency_ms": sent.latency_ms, "http_status": sent.http_status, "outcome": outcome.kind,
               "receipt_id": outcome.receipt_id, "errors": outcome.errors,
               "detail": ("duplicate: the NAP already had these bytes" if outcome.duplicate else outcome.detail)}
    if outcome.kind == "accepted":
        return Step({"state": "accepted", "finished_at": now, "receipt_id": outcome.receipt_id, "errors": [],
                     "last_error": None}, attempt, DELIVERY_ACCEPTED,
                    {"delivery": ref(delivery), "receipt_id": outcome.receipt_id, "attempts": number,
                     "duplicate": outcome.duplicate})
    if outcome.kind == "rejected":
        errors = outcome.errors or [{"code": "REJECTED", "path": None, "message": outcome.detail or "rejected"}]
        return Step({"state": "rejected", "finished_at": now, "receipt_id": outcome.receipt_id, "errors": errors,
                     "last_error": outcome.detail}, attempt, DELIVERY_REJECTED,
                    {"delivery": ref(delivery), "receipt_id": outcome.receipt_id, "attempts": number,
                     "owner": delivery.get("owner"), "errors": errors})
    deadline = delivery["deadline_at"]
    following = backoff.next_attempt(now, number, deadline, *(() if rand is None else (rand,)))
    if following is None:
        return Step({"state": "failed", "finished_at": now, "last_error": outcome.detail}, attempt, DELIVERY_FAILED,
                    {"delivery": ref(delivery), "attempts": number, "owner": delivery.get("owner"),
                     "last_error": outcome.detail})
    return Step({"state": "queued", "next_attempt_at": following, "last_error": outcome.detail}, attempt, None, None)
