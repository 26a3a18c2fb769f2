"""Checkpoint seals: the audit key, signing and checking a sealed head."""
from datetime import datetime, timezone

import pytest

from services.audit.domain import checkpoints

AT = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def test_key_is_made_once_in_local_mode_and_reused(tmp_path):
    first = checkpoints.load_or_create_key(tmp_path, local_mode=True)
    again = checkpoints.load_or_create_key(tmp_path, local_mode=True)
    assert checkpoints.public_pem(first) == checkpoints.public_pem(again)
    assert (tmp_path / checkpoints.KEY_FILE).stat().st_mode & 0o077 == 0


def test_missing_key_outside_local_mode_is_an_error(tmp_path):
    with pytest.raises(checkpoints.CheckpointKeyMissing, match="local mode is off"):
        checkpoints.load_or_create_key(tmp_path, local_mode=False)


def test_sealed_checkpoint_verifies_and_any_change_breaks_it(tmp_path):
    key = checkpoints.load_or_create_key(tmp_path, local_mode=True)
    public = checkpoints.public_pem(key)
    sealed = checkpoints.as_dict(checkpoints.seal(key, 42, "ab" * 32, AT))
    assert sealed["at"] == "2026-03-01T08:00:00.000000+00:00"
    assert sealed["key_id"] == checkpoints.key_id(public)
    assert checkpoints.signature_valid(public, sealed)
    for field, value in (("seq", 41), ("head_hash", "cd" * 32), ("at", "2026-03-01T08:00:01.000000+00:00")):
        assert not checkpoints.signature_valid(public, dict(sealed, **{field: value}))
    other = checkpoints.public_pem(checkpoints.load_or_create_key(tmp_path / "other", local_mode=True))
    assert not checkpoints.signature_valid(other, sealed)
    assert not checkpoints.signature_valid(public, dict(sealed, signature="not base64!"))
