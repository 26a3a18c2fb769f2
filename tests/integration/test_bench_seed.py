"""`bench.seed` writes rows the services read as their own: consistent lifecycle, one current certificate per
released VIN, and an audit chain that verifies, sealed by a checkpoint of the stack's audit key."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from common.config import settings
from common.db import migrate
from services.audit import repository as audit_repo
from services.audit.domain import checkpoints
from tests.support import drop_stack_databases, throwaway_prefix

SERVICES = ("vehicles", "signing", "audit", "webhooks")


@pytest.fixture
def seeded_stack(monkeypatch, tmp_path):
    prefix = throwaway_prefix()
    monkeypatch.setenv("ECOC_DB_PREFIX", prefix)
    monkeypatch.setenv("ECOC_KEYS_DIR", str(tmp_path))
    monkeypatch.delenv("ECOC_AUDIT_KEYS_DIR", raising=False)
    try:
        for service in SERVICES:
            migrate(service, settings().database_url(service))
        yield settings()
    finally:
        drop_stack_databases(prefix)


def scalar(url, statement):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(statement)).scalar()
    finally:
        engine.dispose()


def test_seeded_rows_are_consistent_and_the_audit_chain_verifies(seeded_stack):
    s = seeded_stack
    # its own process, as it is run: the audit entries are digested in a pool of worker processes
    done = subprocess.run([sys.executable, "-m", "bench.seed", "--vehicles", "400", "--certificates", "420",
                           "--audit", "2500", "--entities", "3", "--batch", "150"],
                          cwd=Path(__file__).resolve().parents[2], env=os.environ, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr

    vehicles_url, signing_url = s.database_url("vehicles"), s.database_url("signing")
    assert "vehicles: 400 rows" in done.stdout and "audit_entries: 2,500 rows" in done.stdout, done.stdout
    assert scalar(vehicles_url, "SELECT count(*) FROM vehicles WHERE status = 'released'") == 380
    assert scalar(vehicles_url, "SELECT count(*) FROM vehicles v JOIN release_items i ON i.release_id = v.release_id "
                                "AND i.vin = v.vin AND i.state = 'released'") == 380
    assert scalar(signing_url, "SELECT count(*) FROM certificates") == 420
    assert scalar(signing_url, "SELECT count(*) FROM certificates WHERE status = 'current'") == 380
    assert scalar(signing_url, "SELECT count(DISTINCT seal_fingerprint) FROM certificates") == 3

    engine = create_engine(s.database_url("audit"))
    try:
        with Session(engine) as session:
            sealed = audit_repo.checkpoints(session)
            result = audit_repo.verify(session, sealed)
    finally:
        engine.dispose()
    assert result["valid"], result
    assert result["entries"] == 2500 and sealed[-1]["seq"] == result["last_seq"]
    # every 1,000th entry and each batch's head sealed, as the service seals its head every minute
    assert [c["seq"] for c in sealed] == sorted({*range(150, 2500, 150), 1000, 2000, 2500})
    key = checkpoints.load_or_create_key(s.audit_keys_dir, local_mode=False)
    assert all(checkpoints.signature_valid(checkpoints.public_pem(key), checkpoints.as_dict(c)) for c in sealed)
    # the webhooks intake is past the seeded log, as if it had followed it
    head = scalar(s.database_url("audit"), "SELECT event_id::text FROM audit_entries ORDER BY seq DESC LIMIT 1")
    assert scalar(s.database_url("webhooks"), "SELECT after_event FROM intake WHERE id = 1") == head
