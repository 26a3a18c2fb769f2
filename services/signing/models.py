"""Tables of the signing service (database `ecoc_signing`): every sealed eCoC, byte-exact and immutable."""
from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from common.outbox import outbox_tables

metadata = MetaData()
outbox, inbox = outbox_tables(metadata)

certificates = Table(
    "certificates", metadata,
    Column("reference_id", UUID(as_uuid=False), primary_key=True),
    Column("vin", String(17), nullable=False, index=True),
    Column("version_number", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # current | superseded | withdrawn
    Column("status_reason", Text),  # why it was withdrawn
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("entity", String(32), nullable=False, index=True),
    Column("release_id", UUID(as_uuid=False)),
    Column("vehicle_revision", Integer, nullable=False),
    Column("approval_number", String(35), nullable=False),
    Column("approval_revision", Integer, nullable=False),
    Column("signer_sub", String(200), nullable=False),
    Column("signer_name", String(150), nullable=False),
    Column("seal_fingerprint", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content_sha256", String(64)),  # of the composed content sealed, as its release pinned it for review
    Column("document", LargeBinary, nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    # warnings found before sealing ({code, severity, message}), e.g. the seal certificate expires soon
    Column("findings", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    UniqueConstraint("vin", "version_number"),
    UniqueConstraint("release_id", "vin"),
    Index("one_current_certificate_per_vin", "vin", unique=True, postgresql_where=text("status = 'current'")),
    Index("ix_certificates_current_entity_seal", "entity", "seal_fingerprint",
          postgresql_where=text("status = 'current'")),  # the dashboard's counts per seal (migration 0004)
)

# The paper CoC (issue 19). Per entity its print settings for its security paper (margins, background layer,
# language, whether the PDF is sealed as PAdES); per certificate version how often its paper was printed: the
# first print is the original, every later one a DUPLICATE with its re-print count.
paper_layouts = Table(
    "paper_layouts", metadata,
    Column("entity", String(32), primary_key=True),
    Column("settings", JSONB, nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

paper_prints = Table(
    "paper_prints", metadata,
    Column("reference_id", UUID(as_uuid=False), primary_key=True),
    Column("prints", Integer, nullable=False),
    Column("last_printed_by", String(200), nullable=False),
    Column("last_printed_at", DateTime(timezone=True), nullable=False),
)

# The highest IviVersionNumber the legacy system issued per VIN (from the rollout service's `legacy_received`):
# ecoc's first certificate of such a VIN continues the sequence (legacy n -> ecoc n + 1).
legacy_versions = Table(
    "legacy_versions", metadata,
    Column("vin", String(17), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("version_number", Integer, nullable=False),
)

# A release's print job (issue 19 follow-up): queued by a request, rendered in parts (`paper_job_parts`) by the
# signing processes' renderers, its file kept here with its SHA-256 for download (status queued | rendering | done
# | failed). `attempts` is no longer written: each part counts its own.
paper_jobs = Table(
    "paper_jobs", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("release_id", UUID(as_uuid=False), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("form", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("requested_roles", JSONB, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("count", Integer, nullable=False),
    Column("reason", Text),
    Column("filename", String(200), nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("size", BigInteger),
    Column("sha256", String(64)),
    Column("content", LargeBinary),
    Column("parts", Integer, nullable=False, server_default=text("1")),
    Index("ix_paper_jobs_waiting", "requested_at", postgresql_where=text("status IN ('queued', 'rendering')")),
)

# A print job's parts: ranges of its release's VINs (after `after_vin`, up to `upto_vin`; NULL is open) rendered
# by several renderers at once, put together in VIN order into the job's file and then dropped
paper_job_parts = Table(
    "paper_job_parts", metadata,
    Column("job_id", UUID(as_uuid=False), ForeignKey("paper_jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("after_vin", String(17)),
    Column("upto_vin", String(17)),
    Column("count", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # queued | rendering | done
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("started_at", DateTime(timezone=True)),
    Column("content", LargeBinary),
    Index("ix_paper_job_parts_waiting", "job_id", "part", postgresql_where=text("status IN ('queued', 'rendering')")),
)
