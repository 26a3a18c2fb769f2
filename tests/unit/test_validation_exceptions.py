"""The exceptions register's rules: warnings only, four-eyes, an expiry that brings the warning back."""
import datetime as dt

import pytest

from common.errors import FourEyes, InvalidInput
from services.validation.domain.exceptions import check_decider, check_request, covers, state_of

TODAY = dt.date(2026, 12, 3)
WARNING = {"id": "W-1", "severity": "warning"}
ERROR = {"id": "E-1", "severity": "error"}


def request(**overrides):
    data = {"rule": "W-1", "vin": "WNW0000000000001", "approval_number": None, "approval_revision": None,
            "expires_on": TODAY + dt.timedelta(days=30)}
    data.update(overrides)
    return data


def fields_of(exc):
    return [e["field"] for e in exc.value.errors]


def test_only_a_warning_may_be_asked_for_with_one_scope_and_a_sane_expiry():
    check_request(WARNING, request(), TODAY)
    check_request(WARNING, request(vin=None, approval_number="e1*2018/858*00001*00", approval_revision=2), TODAY)
    with pytest.raises(InvalidInput, match="never waived") as caught:
        check_request(ERROR, request(rule="E-1"), TODAY)
    assert fields_of(caught) == ["rule"]
    for bad, field in ((request(approval_number="X", approval_revision=1), "vin"), (request(vin=None), "vin"),
                       (request(vin=None, approval_number="X"), "approval_revision"),
                       (request(expires_on=TODAY), "expires_on"),
                       (request(expires_on=TODAY + dt.timedelta(days=400)), "expires_on")):
        with pytest.raises(InvalidInput) as caught:
            check_request(WARNING, bad, TODAY)
        assert fields_of(caught) == [field], bad
    with pytest.raises(InvalidInput):
        check_request(None, request(), TODAY)


def test_the_person_who_asked_never_decides():
    with pytest.raises(FourEyes):
        check_decider({"requested_by": "dana"}, "dana")
    check_decider({"requested_by": "dana"}, "rita")


def test_an_accepted_exception_covers_its_warning_until_it_expires():
    exc = {"rule": "W-1", "vin": "V1", "approval_number": None, "approval_revision": None, "decision": "accepted",
           "expires_on": TODAY + dt.timedelta(days=1)}
    report = {"vin": "V1", "approval_number": "A", "approval_revision": 1}
    warning = {"rule": "W-1", "severity": "warning"}
    assert state_of(exc, TODAY) == "accepted" and covers(exc, warning, report, TODAY)
    assert not covers(exc, warning, dict(report, vin="V2"), TODAY)
    assert not covers(exc, {"rule": "W-1", "severity": "error"}, report, TODAY)  # an error is never waived
    tomorrow = TODAY + dt.timedelta(days=1)
    assert state_of(exc, tomorrow) == "expired" and not covers(exc, warning, report, tomorrow)
    wide = dict(exc, vin=None, approval_number="A", approval_revision=1)
    assert covers(wide, warning, dict(report, vin="V9"), TODAY)
    assert not covers(wide, warning, dict(report, approval_revision=2), TODAY)
    assert state_of(dict(exc, decision=None), TODAY) == "open"
    assert state_of(dict(exc, decision="refused"), TODAY) == "refused"
