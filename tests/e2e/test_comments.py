"""Comments on vehicles and releases over the API: attributed to the caller, kept as written (the database
refuses to change or delete one), audited, and scoped to the caller's entities like what they are about."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from cli import demo_data

pytestmark = pytest.mark.e2e

E = [demo_data.ENTITY]


@pytest.fixture(scope="module")
def subject(stack, nordwind, wait):
    steward, viewer = stack.client("dana", ["data_steward"], E), stack.client("vic", ["viewer"], E)
    [vehicle] = demo_data.vehicles(1, seed=4141)
    assert steward.post("/v1/vehicles/import", {"vehicles": [vehicle]})["accepted"] == 1
    wait(lambda: viewer.get(f"/v1/vehicles/{vehicle['vin']}")["status"] == "valid", 30, interval=0.3,
         what="validation of the commented vehicle")
    release = steward.post("/v1/releases", {"vins": [vehicle["vin"]], "note": "comments"})
    return {"vin": vehicle["vin"], "release": release["id"]}


def test_comments_are_attributed_kept_in_order_and_audited(stack, subject, wait):
    vin, release = subject["vin"], subject["release"]
    rita, sam = stack.client("rita", ["reviewer"], E), stack.client("sam", ["signer"], E)
    first = rita.post(f"/v1/vehicles/{vin}/comments", {"body": "mass looks high for this variant"})
    second = sam.post(f"/v1/vehicles/{vin}/comments", {"body": "checked against the weighbridge: fine"})
    on_release = rita.post(f"/v1/releases/{release}/comments", {"body": "waiting for the weighbridge"})
    assert (first["author"], first["vin"], first["release_id"]) == ("rita", vin, None)
    assert (on_release["release_id"], on_release["vin"]) == (release, None)

    viewer = stack.client("vic", ["viewer"], E)
    listed = viewer.get(f"/v1/vehicles/{vin}/comments")["items"]
    assert [(c["author"], c["body"]) for c in listed] == [
        ("rita", "mass looks high for this variant"), ("sam", "checked against the weighbridge: fine")]
    assert [c["id"] for c in viewer.get(f"/v1/releases/{release}/comments")["items"]] == [on_release["id"]]

    auditor = stack.client("audrey", ["auditor"], E)

    def audited():
        entries = auditor.get("/v1/audit", params={"subject": vin, "event_type": "comment_added"})["entries"]
        return entries if len(entries) == 2 else None
    entries = wait(audited, 30, interval=0.3, what="the comments in the audit log")
    assert sorted(e["actor"] for e in entries) == ["rita", "sam"]

    # kept as written: the database itself refuses to change or delete a comment
    engine = create_engine(stack.database_url("vehicles"))
    try:
        for statement in ("UPDATE comments SET body = 'edited'", "DELETE FROM comments"):
            with pytest.raises(DBAPIError, match="comments are immutable"), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def test_bad_comments_and_strangers(stack, subject):
    vin = subject["vin"]
    rita = stack.client("rita", ["reviewer"], E)
    empty = rita.request("POST", f"/v1/vehicles/{vin}/comments", json={"body": ""}, expect=None)
    assert empty.status_code == 422 and [e["field"] for e in empty.json()["errors"]] == ["body"], empty.text
    viewer = stack.client("vic", ["viewer"], E)
    assert viewer.request("POST", f"/v1/vehicles/{vin}/comments", json={"body": "x"}, expect=None).status_code == 403
    stranger = stack.client("otto", ["reviewer"], ["OTHERCO"])
    for path in (f"/v1/vehicles/{vin}/comments", f"/v1/releases/{subject['release']}/comments"):
        assert stranger.request("GET", path, expect=None).status_code == 404
        assert stranger.request("POST", path, json={"body": "x"}, expect=None).status_code == 404
