"""The exceptions register over the API: a warning accepted for a VIN with a reason and an expiry by someone other
than who asked; an error never; decisions audited; another entity's register does not exist for the caller."""
import datetime as dt
import io
import zipfile

import pytest

from cli import demo_data

pytestmark = pytest.mark.e2e

E = [demo_data.ENTITY]


@pytest.fixture(scope="module")
def vin(stack, nordwind, wait):
    steward, viewer = stack.client("dana", ["data_steward"], E), stack.client("vic", ["viewer"], E)
    [vehicle] = demo_data.vehicles(1, seed=7331)
    assert steward.post("/v1/vehicles/import", {"vehicles": [vehicle]})["accepted"] == 1
    wait(lambda: viewer.get(f"/v1/vehicles/{vehicle['vin']}")["status"] != "draft", 30, interval=0.3,
         what="validation of the vehicle")
    return vehicle["vin"]


def expiry(days=30):
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def test_a_warning_is_accepted_by_someone_else_and_audited(stack, vin, wait):
    dana, rita = stack.client("dana", ["data_steward", "reviewer"], E), stack.client("rita", ["reviewer"], E)
    asked = dana.post("/v1/exceptions", {"rule": "CON-004", "vin": vin, "reason": "wheelbase as in the specimen",
                                         "expires_on": expiry()})
    assert (asked["state"], asked["requested_by"], asked["entity"]) == ("open", "dana", demo_data.ENTITY)

    refused = dana.request("POST", f"/v1/exceptions/{asked['id']}/accept", json={}, expect=None)
    assert refused.status_code == 403 and refused.json()["title"] == "Four-eyes rule", refused.text

    accepted = rita.post(f"/v1/exceptions/{asked['id']}/accept", {"note": "checked"})
    assert (accepted["state"], accepted["decided_by"], accepted["decision_note"]) == ("accepted", "rita", "checked")
    again = rita.request("POST", f"/v1/exceptions/{asked['id']}/refuse", json={}, expect=None)
    assert again.status_code == 409

    viewer = stack.client("vic", ["viewer"], E)
    listed = viewer.get("/v1/exceptions", params={"vin": vin})["items"]
    assert [(i["id"], i["state"]) for i in listed] == [(asked["id"], "accepted")]
    assert viewer.get("/v1/exceptions", params={"vin": vin, "state": "open"})["items"] == []

    auditor = stack.client("audrey", ["auditor"], E)

    def audited():
        types = [e["event_type"] for e in auditor.get("/v1/audit", params={"subject": vin})["entries"]]
        return types if {"exception_requested", "exception_accepted"} <= set(types) else None
    wait(audited, 30, interval=0.3, what="the exception's decision in the audit log")
    # and it is in the VIN's evidence pack, with who accepted it
    archive = zipfile.ZipFile(io.BytesIO(auditor.request("GET", f"/v1/vehicles/{vin}/evidence").content))
    pack = "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    assert "exception_accepted" in pack and asked["id"] in pack and "wheelbase as in the specimen" in pack


def test_an_error_is_never_waived_and_bad_requests_name_the_field(stack, vin):
    dana = stack.client("dana", ["data_steward"], E)
    error = dana.request("POST", "/v1/exceptions", json={"rule": "VIN-001", "vin": vin, "reason": "r",
                                                          "expires_on": expiry()}, expect=None)
    assert error.status_code == 422 and [e["field"] for e in error.json()["errors"]] == ["rule"], error.text
    assert "never waived" in error.json()["detail"]
    for body, field in (({"rule": "CON-004", "vin": vin, "reason": "r", "expires_on": expiry(0)}, "expires_on"),
                        ({"rule": "CON-004", "reason": "r", "expires_on": expiry()}, "vin"),
                        ({"rule": "NOPE-1", "vin": vin, "reason": "r", "expires_on": expiry()}, "rule")):
        bad = dana.request("POST", "/v1/exceptions", json=body, expect=None)
        assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == [field], bad.text


def test_another_entity_s_register_does_not_exist(stack, vin):
    dana = stack.client("dana", ["data_steward"], E)
    asked = dana.post("/v1/exceptions", {"rule": "CON-004", "vin": vin, "reason": "r", "expires_on": expiry()})
    stranger = stack.client("otto", ["reviewer", "data_steward"], ["OTHERCO"])
    assert stranger.get("/v1/exceptions", params={"vin": vin})["items"] == []
    assert stranger.request("POST", f"/v1/exceptions/{asked['id']}/accept", json={}, expect=None).status_code == 404
    assert stranger.request("POST", "/v1/exceptions", json={"rule": "CON-004", "vin": vin, "reason": "r",
                                                            "expires_on": expiry()}, expect=None).status_code == 404


def test_the_register_filters_by_approval_and_age_on_the_api_and_its_page(stack, vin):
    dana = stack.client("dana", ["data_steward"], E)
    asked = dana.post("/v1/exceptions", {"rule": "CON-004", "vin": vin, "reason": "age filter", "expires_on": expiry()})
    dana.post("/v1/exceptions", {"rule": "CON-004", "vin": vin, "reason": "age filter, again", "expires_on": expiry()})
    # an approval-wide one, left open (it waives nothing): the approval filter finds it
    wide = dana.post("/v1/exceptions", {"rule": "CON-004", "approval_number": demo_data.APPROVAL_NUMBER,
                                        "approval_revision": 1, "entity": demo_data.ENTITY, "reason": "approval filter",
                                        "expires_on": expiry()})
    viewer = stack.client("vic", ["viewer"], E)
    assert asked["id"] in [i["id"] for i in viewer.get("/v1/exceptions", params={"vin": vin})["items"]]
    # asked for just now: not at least a day ago; for a VIN: not for an approval number
    assert viewer.get("/v1/exceptions", params={"vin": vin, "older_than_days": 1})["items"] == []
    assert viewer.get("/v1/exceptions", params={"vin": vin, "approval_number": demo_data.APPROVAL_NUMBER})[
        "items"] == []
    by_approval = viewer.get("/v1/exceptions", params={"approval_number": demo_data.APPROVAL_NUMBER})["items"]
    assert wide["id"] in [i["id"] for i in by_approval] and {i["vin"] for i in by_approval} == {None}
    bad = viewer.request("GET", "/v1/exceptions", params={"older_than_days": "soon"}, expect=None)
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["older_than_days"], bad.text
    page = viewer.request("GET", "/dashboard/exceptions", params={"older_than_days": "soon"}, expect=None)
    assert page.status_code == 422 and page.headers["Content-Type"].startswith("text/html"), page.text
    assert "older_than_days" in page.text
    shown = viewer.request("GET", "/dashboard/exceptions", params={"vin": vin, "limit": 1}).text
    assert f"vin={vin}" in shown and "cursor=" in shown  # the next page keeps the filter
