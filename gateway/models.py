"""The gateway's own table: responses kept for `Idempotency-Key` replays."""
from sqlalchemy import Boolean, Column, DateTime, Float, Integer, LargeBinary, MetaData, String, Table
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

# A person signed in to the dashboard. The browser holds only a random id (the cookie); the row holds who it is,
# the CSRF token of its forms and its two clocks (idle and absolute). Signing out deletes the row, so a copied
# cookie is dead at once.
dashboard_sessions = Table(
    "dashboard_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),  # sha256 of the cookie value: the table never holds a usable id
    Column("sub", String(200), nullable=False),
    Column("roles", JSONB, nullable=False),
    Column("entities", JSONB, nullable=False),
    Column("groups", JSONB, nullable=False, server_default="[]"),  # the groups claim: teams may name them
    Column("csrf", String(64), nullable=False),
    Column("via", String(16), nullable=False),  # oidc, or token (the development sign-in of local mode)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),  # the absolute end
)

# A sign-in under way at the issuer: what the callback needs to finish it, used once.
oidc_logins = Table(
    "oidc_logins", metadata,
    Column("state", String(64), primary_key=True),
    Column("browser_hash", String(64), nullable=False),  # sha256 of the cookie that binds it to the browser
    Column("code_verifier", String(128), nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# A caller's token bucket (gateway.rate_limits), shared by the gateway's replicas: the units left when last
# charged, when that was (seconds since the epoch), and whether that request was paid.
rate_buckets = Table(
    "rate_buckets", metadata,
    Column("caller", String(200), primary_key=True),  # the token's `sub`
    Column("tokens", Float, nullable=False),
    Column("refilled_at", Float, nullable=False),
    Column("paid", Boolean, nullable=False),
    prefixes=["UNLOGGED"],  # migration 0003: commits without a WAL flush; a crash gives every caller a full bucket
)
