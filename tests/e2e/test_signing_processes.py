"""Two signing processes (`replicas_stack`, ECOC_REPLICAS=2, shared with test_replicas), competing consumers of the
same queues: a release's chunks are sealed by both, and every vehicle is released once."""
import pytest

from tests.support import ReleaseRun

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

COUNT = 1000  # four chunks of 250: two each


def test_two_signing_processes_share_a_release(replicas_stack):
    stack = replicas_stack
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
