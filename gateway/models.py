"""The gateway's own table: responses kept for `Idempotency-Key` replays."""
from sqlalchemy import Column, DateTime, Integer, LargeBinary, MetaData, String, Table
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("caller", String(200), primary_key=True),  # the token's `sub`: keys are scoped per caller
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # sha256 of method, path, query, media type and body
    Column("claimed_at", DateTime(timezone=True), nullable=False, index=True),
    Column("status", Integer),  # null while the first request runs
    Column("headers", JSONB),
    Column("body", LargeBinary),
)
