"""The exceptions register's rules (plain Python): only a warning may be accepted, never by the person who asked,
and an accepted exception applies to its VIN or approval revision until the day it expires; then the warning
stands again as it is."""
import datetime as dt

from common.errors import FourEyes, InvalidInput

OPEN, ACCEPTED, REFUSED, EXPIRED = "open", "accepted", "refused", "expired"
MAX_DAYS = 366  # an exception is a decision to revisit: at most a year


def check_request(rule, data, today):
    """Why this request cannot enter the register (InvalidInput naming the field), or nothing."""
    if rule is None:
        raise InvalidInput("Unknown rule.", [{"field": "rule",
                                              "message": f"no rule {data['rule']!r} in the catalogue"}])
    if rule["severity"] != "warning":
        raise InvalidInput("An error is never waived.", [{"field": "rule", "message": (
            f"{rule['id']} is an error: it blocks until the data is corrected; only warnings may be accepted")}])
    if (data.get("vin") is None) == (data.get("approval_number") is None):
        raise InvalidInput("Say what the exception is for.", [{"field": "vin", "message": (
            "give either a VIN or an approval number with its revision")}])
    if data.get("approval_number") is not None and data.get("approval_revision") is None:
        raise InvalidInput("Say which approval revision.", [{"field": "approval_revision", "message": (
            "an approval-wide exception is for one approval revision")}])
    if not today < data["expires_on"] <= today + dt.timedelta(days=MAX_DAYS):
        raise InvalidInput("Bad expiry.", [{"field": "expires_on", "message": (
            f"a day after today and at most {MAX_DAYS} days ahead")}])


def check_decider(exception, sub):
    if exception["requested_by"] == sub:
        raise FourEyes("an exception is accepted or refused by someone other than the person who asked for it")


def state_of(exception, today):
    if exception["decision"] is None:
        return OPEN
    if exception["decision"] == REFUSED:
        return REFUSED
    return ACCEPTED if today < exception["expires_on"] else EXPIRED


def covers(exception, finding, report, today):
    """True when an accepted, unexpired exception waives this warning of this vehicle's report."""
    if state_of(exception, today) != ACCEPTED or finding.get("severity") != "warning" \
            or finding.get("rule") != exception["rule"]:
        return False
    if exception["vin"] is not None:
        return exception["vin"] == report["vin"]
    return (exception["approval_number"], exception["approval_revision"]) == (
        report.get("approval_number"), report.get("approval_revision"))
