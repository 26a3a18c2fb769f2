"""`ECOC_SIGNING_PROCESSES=2`: `ecoc up`'s stack runs two signing processes, competing consumers of the same
queues; a release's chunks are sealed by both, and every vehicle is released once."""
import os
import tempfile
from pathlib import Path

import pytest

from cli import demo_data
from common.config import REPO_ROOT
from tests.support import running_stack, throwaway_vhost, wait_until

pytestmark = pytest.mark.e2e

COUNT = 1000  # four chunks of 250: two each
SCHEMA_PATH = os.environ.get("ECOC_IVI_SCHEMA") or str(REPO_ROOT.parent / "shared" / "ivi" / "IVI2.0.xsd")


def test_two_signing_processes_share_a_release():
    with tempfile.TemporaryDirectory(prefix="ecoc-signing-2-") as root, throwaway_vhost("signing2") as amqp_uri, \
            running_stack(amqp_uri, Path(root), SCHEMA_PATH, ECOC_SIGNING_PROCESSES="2") as stack:
        assert {"signing", "signing-2"} <= set(stack.processes.children)
        e = [demo_data.ENTITY]
        stack.client("ada", ["admin"]).put(f"/v1/entities/{demo_data.ENTITY}", demo_data.entity())
        stack.client("alice", ["approvals_manager"], e).post("/v1/approvals", demo_data.approval())
        steward = stack.client("dana", ["data_steward"], e)
        vehicles = demo_data.vehicles(COUNT, seed=5)
        vins = [v["vin"] for v in vehicles]
        steward.post("/v1/vehicles/import", {"vehicles": vehicles})
        board = lambda: steward.get("/v1/dashboard", params={"entity": demo_data.ENTITY})["entities"][0]["counts"]  # noqa: E731
        wait_until(lambda: board()["valid"] == COUNT, 120, "validation")
        release = steward.post("/v1/releases", {"vins": vins})
        stack.client("rita", ["reviewer"], e).post(f"/v1/releases/{release['id']}/approve")
        stack.client(demo_data.SIGNATORY["sub"], ["signer"], e).post(f"/v1/releases/{release['id']}/sign")
        done = wait_until(lambda: (lambda r: r if r["status"] != "signing" else None)(
            steward.get(f"/v1/releases/{release['id']}")), 180, "the release")
        logs = {name: stack.log(name) for name in ("signing", "signing-2")}

    assert done["status"] == "released" and done["counts"] == {"released": COUNT}
    for name, text in logs.items():
        sealed = [line for line in text.splitlines() if f"release {release['id']}:" in line and " sealed," in line]
        assert sealed, f"{name} sealed no chunk of the release"
    total = sum(int(line.split(f"release {release['id']}: ")[1].split(" sealed")[0])
                for text in logs.values() for line in text.splitlines()
                if f"release {release['id']}:" in line and " sealed," in line)
    assert total == COUNT
