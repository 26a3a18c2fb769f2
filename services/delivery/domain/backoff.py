"""When a transient failure is tried again: exponential back-off with jitter, for a configured time.

The delay doubles from `base` up to `cap`; each is drawn between half and all of it ("equal jitter"), so many
deliveries that failed together (a NAP that was down) do not come back together. Once the next attempt would
fall after the deadline the delivery is `failed` instead: visible, alertable and redeliverable by hand.
"""
import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    base: float = 5.0
    cap: float = 600.0
    retry_for: float = 86400.0

    def delay(self, attempt, rand=random.random):
        """Seconds to wait after the `attempt`-th failed attempt (1, 2, ...)."""
        full = min(self.cap, self.base * 2 ** max(attempt - 1, 0))
        return full / 2 + rand() * full / 2

    def next_attempt(self, now, attempt, deadline, rand=random.random):
        """When to try again, or None when the deadline is passed (the delivery has failed)."""
        if now >= deadline:
            return None
        when = now + timedelta(seconds=self.delay(attempt, rand))
        return min(when, deadline)  # a last attempt at the deadline itself
