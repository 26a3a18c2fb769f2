"""`ecoc import` and `ecoc release …` against the running stack, run as an integrator runs them: a token in
ECOC_TOKEN, the gateway in --url, the exit codes of `ecoc --help`."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from cli import demo_data
from gateway.auth import issue_token

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SEED = 7630


def ecoc(stack, token, *args):
    env = dict(os.environ, ECOC_TOKEN=token)
    return subprocess.run([sys.executable, "-m", "cli.main", *args, "--url", stack.base_url], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_import_and_the_release_sequence_from_the_command_line(stack, nordwind, wait, tmp_path):
    e = [demo_data.ENTITY]
    steward = issue_token(stack.settings, "cli-dana", ["data_steward"], e)
    reviewer = issue_token(stack.settings, "cli-rita", ["reviewer"], e)
    signer = issue_token(stack.settings, demo_data.SIGNATORY["sub"], ["signer"], e)
    rows = demo_data.vehicles(2, seed=SEED)
    bad = dict(rows[0], vin="TOO-SHORT")
    path = tmp_path / "vehicles.json"
    path.write_text(json.dumps({"vehicles": rows + [bad]}))

    imported = ecoc(stack, steward, "import", str(path), "--reason", "cli test")
    assert imported.returncode == 1, imported.stderr  # one row rejected: done, partly
    assert imported.stdout.splitlines()[0] == "accepted 2, unchanged 0, rejected 1"
    assert "row 2 TOO-SHORT" in imported.stdout and "Traceback" not in imported.stderr

    vins = [r["vin"] for r in rows]
    viewer = stack.client("vic", ["viewer"], e)
    wait(lambda: all(viewer.get(f"/v1/vehicles/{v}")["status"] == "valid" for v in vins), 60,
         what="the imported vehicles to become valid")
    requested = ecoc(stack, steward, "release", "request", *vins, "--note", "from the CLI")
    assert requested.returncode == 0, requested.stdout + requested.stderr
    release_id = requested.stdout.split()[1].rstrip(":")

    own = ecoc(stack, issue_token(stack.settings, "cli-dana", ["reviewer"], e), "release", "approve", release_id)
    assert own.returncode == 3 and own.stderr.startswith("ecoc release: 403")  # four-eyes, one line
    assert ecoc(stack, reviewer, "release", "approve", release_id).returncode == 0
    signed = ecoc(stack, signer, "release", "sign", release_id)
    assert signed.returncode == 0, signed.stdout + signed.stderr
    assert f"release {release_id}: released (released 2)" in signed.stdout
    status = ecoc(stack, steward, "release", "status", release_id)
    assert status.returncode == 0 and "released 2" in status.stdout


def test_events_follow_resumes_from_its_cursor_file(stack, nordwind, wait, tmp_path):
    """The change feed's consumer on the command line: a follower restarted from its cursor file misses nothing
    and prints nothing twice. It needs the change feed, `GET /v1/events` (issue 16 item 1)."""
    if "/v1/events" not in requests.get(stack.url("/openapi.json"), timeout=30).json()["paths"]:
        pytest.skip("this build has no change feed (GET /v1/events)")
    e = [demo_data.ENTITY]
    viewer = issue_token(stack.settings, "cli-vic", ["viewer"], e)
    cursor = tmp_path / "feed.cursor"

    def follow():
        done = ecoc(stack, viewer, "events", "follow", "--once", "--cursor-file", str(cursor))
        assert done.returncode == 0, done.stdout + done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    first = follow()
    assert first and cursor.read_text().strip()
    [vehicle] = demo_data.vehicles(1, seed=SEED + 1)
    steward = stack.client("cli-dana", ["data_steward"], e)
    assert steward.post("/v1/vehicles/import", {"vehicles": [vehicle]})["accepted"] == 1
    later = []

    def the_import_arrived():  # each call is a follower started again from the cursor file
        later.extend(follow())
        return any(vehicle["vin"] in event["subjects"] for event in later)

    wait(the_import_arrived, 60, what="the import to reach the feed")
    printed = [event["id"] for event in first + later]
    assert len(printed) == len(set(printed))  # across every restart, nothing twice
