"""A release of any size prints: on a stack whose RPC timeout is low (8 s), a release whose paper CoCs take
longer than that to render prints through its job (202, Location, Retry-After; polled; downloaded with its
SHA-256), every certificate in VIN order, each print counted and in the audit with who asked. It renders in
parts (of `PAPER_PART_SIZE`), put together in VIN order.

The stack is `short_timeout_stack` (the session stack's timeout is 30 s, which would need a release of hundreds of
pages to exceed); the release is as small as still exceeds the timeout."""
import re
import subprocess

import pytest

from cli import demo_data
from tests.paper_checks import missing_tools, page_count, print_release
from tests.stack_fixtures import PAPER_PART_SIZE
from tests.support import register_demo_manufacturer, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

VEHICLES = 24  # about half a second of layout each: well past one RPC timeout
E = demo_data.ENTITY


def test_a_release_larger_than_one_rpc_timeout_prints_through_its_job(short_timeout_stack, tmp_path):
    if missing_tools():
        pytest.fail(f"missing {', '.join(missing_tools())}: `make system-deps` installs poppler-utils and zbar-tools")
    stack = short_timeout_stack
    register_demo_manufacturer(stack)
    steward = stack.client("pia", ["data_steward"], [E])
    batch = demo_data.vehicles(VEHICLES, seed=1920)
    vins = sorted(v["vin"] for v in batch)
    assert steward.post("/v1/vehicles/import", {"vehicles": batch})["accepted"] == VEHICLES
    wait_until(lambda: len(steward.get("/v1/vehicles", params={"status": "valid", "limit": 1000})["items"])
               == VEHICLES, 120, what="vehicles valid")
    rid = steward.post("/v1/releases", {"vins": vins, "note": "a large print"})["id"]
    stack.client("rolf", ["reviewer"], [E]).post(f"/v1/releases/{rid}/approve")
    stack.client(demo_data.SIGNATORY["sub"], ["signer"], [E]).request("POST", f"/v1/releases/{rid}/sign", json={})
    wait_until(lambda: steward.get(f"/v1/releases/{rid}")["status"] == "released", 180, what="release sealed")

    viewer = stack.client("vera", ["viewer"], [E])
    job, printed = print_release(viewer, rid, wait_until, timeout=600)
    # The gateway's RPC timeout is kept low so that a print of this size could not be carried by one RPC on
    # this kind of machine; how long rendering took is not asserted (it depends on the machine's load).
    assert job["count"] == VEHICLES and job["size"] == len(printed.content)
    assert job["parts"] == job["parts_done"] == -(-VEHICLES // PAPER_PART_SIZE) > 1
    path = tmp_path / "release.pdf"
    path.write_bytes(printed.content)
    assert page_count(path) >= 2 * VEHICLES
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    positions = [text.index(vin) for vin in vins]
    assert positions == sorted(positions) and "DUPLICATE" not in text
    listed = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, check=True).stdout.decode()
    assert re.findall(r"^\d+: (\S+)-v1\.xml$", listed, re.M) == vins

    auditor = stack.client("audra", ["auditor"], [E])

    def audited(subject, event_type):
        return auditor.get("/v1/audit", params={"subject": subject, "event_type": event_type})["entries"]

    [requested] = wait_until(lambda: audited(rid, "paper_job_requested"), 60, what="paper_job_requested")
    assert requested["actor"] == "vera"
    for vin in (vins[0], vins[-1]):
        [entry] = wait_until(lambda: audited(vin, "paper_printed"), 60, what=f"paper_printed of {vin}")
        assert entry["actor"] == "vera"
