"""When a failed delivery is tried again, when it is given up, and when a subscription is disabled (plain Python).

A delivery that fails is retried with exponential back-off: `base`, 2×`base`, 4×`base`, … capped at `cap`
seconds, for `window` after it was first queued (24 h by default: a receiver down over a weekend night still gets
everything once it is back). A subscription whose deliveries have all failed for `disable_after` (no success in
between) is disabled: its receiver is gone, and retrying forever would only fill the queue.
"""
import math
from datetime import timedelta

LEASE_MARGIN_SECONDS = 5  # recording the answers of a batch after its last send


def next_delay(attempts, base, cap):
    """Seconds to wait after the `attempts`-th failed attempt (1 for the first)."""
    return min(cap, base * 2 ** max(0, min(attempts - 1, 62)))


def next_attempt(created_at, now, attempts, policy):
    """When to try again after the `attempts`-th failure, or None when the delivery is given up."""
    moment = now + timedelta(seconds=next_delay(attempts, policy.retry_base_seconds, policy.retry_max_seconds))
    if moment > created_at + timedelta(hours=policy.retry_hours):
        return None
    return moment


def lease_seconds(batch, concurrency, timeout_seconds):
    """How long a batch of `batch` deliveries sent `concurrency` at a time is leased to the process sending it: long
    enough for every one of them to wait out the timeout, so no other replica claims a delivery still under way."""
    return math.ceil(batch / concurrency) * timeout_seconds + LEASE_MARGIN_SECONDS


def should_disable(failing_since, now, policy):
    return failing_since is not None and now - failing_since >= timedelta(hours=policy.disable_after_hours)
