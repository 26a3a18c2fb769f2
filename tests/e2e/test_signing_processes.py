"""`ECOC_REPLICAS=signing=2`: `ecoc up`'s stack runs two signing processes, competing consumers of the same
queues; a release's chunks are sealed by both, and every vehicle is released once."""
import os
import tempfile
from pathlib import Path

import pytest

from common.config import REPO_ROOT
from tests.support import ReleaseRun, running_stack, throwaway_vhost

pytestmark = pytest.mark.e2e

COUNT = 1000  # four chunks of 250: two each
SCHEMA_PATH = os.environ.get("ECOC_IVI_SCHEMA") or str(REPO_ROOT.parent / "shared" / "ivi" / "IVI2.0.xsd")


def test_two_signing_processes_share_a_release():
    with tempfile.TemporaryDirectory(prefix="ecoc-signing-2-") as root, throwaway_vhost("signing2") as amqp_uri, \
            running_stack(amqp_uri, Path(root), SCHEMA_PATH, ECOC_REPLICAS="signing=2") as stack:
        assert {"signing", "signing-2"} <= set(stack.processes.children)
        run = ReleaseRun(stack, COUNT, seed=5).prepare()
        run.sign()
        run.wait_released(timeout=180)
        done = run.release()
        logs = {name: stack.log(name) for name in ("signing", "signing-2")}

    assert done["status"] == "released" and done["counts"] == {"released": COUNT}
    for name, text in logs.items():
        sealed = [line for line in text.splitlines() if f"release {run.release_id}:" in line and " sealed," in line]
        assert sealed, f"{name} sealed no chunk of the release"
    total = sum(int(line.split(f"release {run.release_id}: ")[1].split(" sealed")[0])
                for text in logs.values() for line in text.splitlines()
                if f"release {run.release_id}:" in line and " sealed," in line)
    assert total == COUNT
