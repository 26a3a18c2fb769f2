"""Checks on a seal certificate before it is used (or when a sealed document is judged)."""

from __future__ import annotations

import datetime as _dt
import unicodedata
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # 'error' | 'warning'
    message: str


def normalise_name(value: str) -> str:
    """Case-insensitive, whitespace-normalised form of an organisation name."""
    return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()


def subject_values(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]


def _window(on_date: _dt.date | _dt.datetime) -> tuple[_dt.datetime, _dt.datetime]:
    """The moment(s) to judge: a datetime is itself (naive = UTC); a date is the whole UTC day."""
    if isinstance(on_date, _dt.datetime):
        moment = on_date if on_date.tzinfo else on_date.replace(tzinfo=_dt.timezone.utc)
        return moment, moment
    start = _dt.datetime.combine(on_date, _dt.time.min, tzinfo=_dt.timezone.utc)
    return start, start + _dt.timedelta(days=1) - _dt.timedelta(microseconds=1)


def check_certificate(
    cert: x509.Certificate, on_date: _dt.date | _dt.datetime, organisations: list[str]
) -> list[Finding]:
    """Judge a seal certificate for use on ``on_date`` by one of ``organisations``.

    ``organisations`` are the manufacturer and/or EU representative named in the type approval; the
    certificate's subject O must equal one of them (case-insensitive, whitespace-normalised).
    For a ``date``, the certificate must be valid at some moment of that (UTC) day; pass a ``datetime``
    (e.g. the sealing moment) to judge an exact instant.
    """
    findings: list[Finding] = []
    first, last = _window(on_date)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    validity = f"valid from {not_before.isoformat()} to {not_after.isoformat()}"

    if last < not_before:
        findings.append(
            Finding("certificate_not_yet_valid", "error", f"certificate is not yet valid on {on_date}: {validity}")
        )
    elif first > not_after:
        findings.append(
            Finding("certificate_expired", "error", f"certificate expired on {not_after.isoformat()} ({validity})")
        )
    elif not_after - first <= _dt.timedelta(days=EXPIRY_WARNING_DAYS):
        days_left = max(0, (not_after - first).days)
        findings.append(
            Finding(
                "certificate_expires_soon",
                "warning",
                f"certificate expires on {not_after.isoformat()}, within {days_left} day(s): renew the seal",
            )
        )

    subject_orgs = subject_values(cert, NameOID.ORGANIZATION_NAME)
    expected = [o for o in (organisations or []) if o and o.strip()]
    if not subject_orgs:
        findings.append(
            Finding("certificate_no_organisation", "error", "certificate subject has no organisation (O) attribute")
        )
    elif not expected:
        findings.append(
            Finding(
                "certificate_organisation_unchecked",
                "error",
                f"no manufacturer or EU representative given to compare with the certificate organisation "
                f"{subject_orgs[0]!r}",
            )
        )
    else:
        wanted = {normalise_name(o) for o in expected}
        if not any(normalise_name(o) in wanted for o in subject_orgs):
            findings.append(
                Finding(
                    "certificate_organisation_mismatch",
                    "error",
                    f"certificate organisation {', '.join(map(repr, subject_orgs))} is not the manufacturer or "
                    f"EU representative named in the approval ({', '.join(map(repr, expected))})",
                )
            )
    return findings
