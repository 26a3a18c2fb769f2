"""One signed HTTP POST of a delivery, and what came of it (status code, latency, error)."""
import json
import time

import requests

from services.webhooks.domain import sealing, signatures, targets

USER_AGENT = "ecoc-webhooks/1"
MAX_ERROR = 500


def body_of(event):
    """The exact bytes sent (and signed): the event as compact JSON with sorted keys."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def send(delivery, policy, internal_secrets, session=requests):
    """POST the delivery's event to its subscription's URL, signed with the subscription's secret (stored sealed
    under one of `internal_secrets`); `(status_code, latency_ms, error)`, where error is None only for a 2xx answer.
    Redirects are not followed (the URL is the receiver)."""
    refused = None if policy.insecure_targets else targets.refused_address(delivery["url"], policy.private_targets)
    if refused:
        return None, 0, refused
    try:
        secret = sealing.unseal(delivery["secret"], internal_secrets)
    except sealing.UnreadableSecret as exc:
        return None, 0, str(exc)
    body = body_of(delivery["event"])
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signatures.HEADER: signatures.header_value(secret, time.time(), body),
        "Ecoc-Event-Id": delivery["event_id"],
        "Ecoc-Event-Type": delivery["event_type"],
        "Ecoc-Delivery-Id": delivery["id"],
        "Ecoc-Webhook-Id": delivery["subscription_id"],
    }
    started = time.monotonic()
    try:
        response = session.post(delivery["url"], data=body, headers=headers, timeout=policy.timeout_seconds,
                                allow_redirects=False, verify=policy.ca_bundle or True)
    except requests.RequestException as exc:
        return None, _ms(started), f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    latency = _ms(started)
    response.close()
    if 200 <= response.status_code < 300:
        return response.status_code, latency, None
    return response.status_code, latency, f"HTTP {response.status_code}"


def _ms(started):
    return int((time.monotonic() - started) * 1000)
