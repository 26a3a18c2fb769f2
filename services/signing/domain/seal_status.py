"""How long an entity's seal certificate can still seal eCoCs.

An eCoC has no expiry of its own: it describes the vehicle as built and is kept at least 10 years. What
expires is the seal certificate of the legal entity (its X.509 `notAfter`): from then on signing refuses
(see `seal_checks.check_certificate`) and every release of the entity fails until the seal is renewed.
So "expiring soon" on the dashboard means a seal whose `notAfter` lies within `EXPIRY_WARNING_DAYS`, the
same window in which sealing already attaches a `certificate_expires_soon` warning to each certificate."""
import datetime as _dt

from services.signing.domain.seal_checks import EXPIRY_WARNING_DAYS


def seal_status(cert, now, within_days=EXPIRY_WARNING_DAYS):
    """{not_before, not_after, days_left, state}: state is valid | expiring | expired | not_yet_valid."""
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    left = not_after - now
    if now > not_after:
        state = "expired"
    elif now < not_before:
        state = "not_yet_valid"
    elif left <= _dt.timedelta(days=within_days):
        state = "expiring"
    else:
        state = "valid"
    return {"not_before": not_before.isoformat(), "not_after": not_after.isoformat(),
            "days_left": left.days if left.total_seconds() >= 0 else -((-left).days), "state": state}
