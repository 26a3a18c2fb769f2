"""What the simulator does wrong on purpose: latency, transient faults and rejections, by rate or VIN pattern.

Rates are decided by a hash of the seed, the message's reference id (and, for transient faults, the attempt), not
by a random generator: the same run makes the same decisions whatever the order requests arrive in, and a
message picked for rejection is rejected every time it is sent (a correction has a new reference id); a slow
message is slow on its first attempt only, so a client that times out and tries again gets through. A VIN
pattern is searched in `<VIN>/<IviVersionNumber>`, so `/1$` picks first versions only.
"""
import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FaultPlan:
    latency_ms: int = 0
    transient_rate: float = 0.0
    transient_vin: str | None = None
    reject_rate: float = 0.0
    reject_vin: str | None = None
    slow_rate: float = 0.0
    slow_ms: int = 0
    seed: str = "ecoc"

    def __post_init__(self):
        for name in ("transient_rate", "reject_rate", "slow_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name.replace('_', '-')} must be between 0 and 1")
        if self.latency_ms < 0 or self.slow_ms < 0:
            raise ValueError("latency-ms and slow-ms must be 0 or more")
        for name in ("transient_vin", "reject_vin"):
            if getattr(self, name):
                re.compile(getattr(self, name))  # re.error names the problem

    def transient(self, reference_id, vin, version, attempt):
        """Why this attempt fails transiently (None: it does not)."""
        if self.transient_vin and re.search(self.transient_vin, f"{vin}/{version}"):
            return f"transient fault for VINs matching {self.transient_vin!r}"
        if self.transient_rate and _share(self.seed, "transient", reference_id, attempt) < self.transient_rate:
            return f"transient fault (rate {self.transient_rate:g})"
        return None

    def delay(self, reference_id, attempt):
        """Seconds the answer to this attempt is held back beyond the latency: the first attempt of a share of
        messages is slow (the NAP still takes the message; a client that gave up sends it again)."""
        if self.slow_ms and attempt == 1 and _share(self.seed, "slow", reference_id) < self.slow_rate:
            return self.slow_ms / 1000.0
        return 0.0

    def rejection(self, reference_id, vin, version):
        """Why this message is rejected (None: it is not)."""
        if self.reject_vin and re.search(self.reject_vin, f"{vin}/{version}"):
            return f"rejected for VINs matching {self.reject_vin!r}"
        if self.reject_rate and _share(self.seed, "reject", reference_id) < self.reject_rate:
            return f"rejected at random (rate {self.reject_rate:g})"
        return None


def _share(*parts):
    """A number in [0, 1) fixed by `parts`."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64
