"""Regression: release chunks sealed at once right after a signing service starts must all finish.

The signing service seals in `eventlet.tpool` threads. Before `services.signing.sealing_threads.prepare()`,
signxml's schema-cache lock was a green lock in a monkey-patched process, and two first verifications in
tpool threads at once left one thread parked on a hub of its own forever (most cold starts with four
concurrent chunks hung). Each run needs a fresh, monkey-patched interpreter, so it runs as a child process.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.config import settings
from common.ivi.xsd import schema_available

REPO = Path(__file__).resolve().parents[2]

CHILD = r"""
import os
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_selector")
import eventlet
eventlet.monkey_patch()
from eventlet import tpool
from cli import demo_data
from services.signing.domain.issuance import issue_batch
from services.signing.domain.keys import generate_self_signed, write_seal
from services.signing.keyring import Seals

seal = generate_self_signed(demo_data.ENTITY, demo_data.LEGAL_NAME)
write_seal(os.environ["ECOC_KEYS_DIR"], demo_data.ENTITY, *seal)
seals = Seals()
seals.setup()  # what the service container does at start
keyring = seals.get_dependency(None)
sealer, schema, validator = keyring.sealer(demo_data.ENTITY), keyring.schema, keyring.validator
vehicles = [dict(v, revision=1) for v in demo_data.vehicles(12, seed=7)]
resolved = [demo_data.resolution(v) for v in vehicles]

def chunk(i):  # what on_release_sign_requested does per chunk
    vs, rs = vehicles[i::6], resolved[i::6]
    return tpool.execute(issue_batch, schema, validator, sealer, vs, rs, demo_data.SIGNATORY,
                         {v["vin"]: 1 for v in vs})

with eventlet.Timeout(30):
    results = list(eventlet.GreenPool().imap(chunk, range(6)))
print("issued", sum(len(r.issued) for r in results), "failed", sum(len(r.failed) for r in results))
"""


@pytest.mark.skipif(not schema_available(settings().schema_path), reason="the IVI 2.0 schema is not configured")
@pytest.mark.parametrize("run", range(2))
def test_concurrent_chunks_right_after_start_all_finish(tmp_path, run):
    env = dict(os.environ, ECOC_KEYS_DIR=str(tmp_path))
    child = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=90)
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.split() == ["issued", "12", "failed", "0"]
