"""Tables of the vehicles service (database `ecoc_vehicles`)."""
from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, String,
                        Table, Text, UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from common.outbox import outbox_tables

metadata = MetaData()
outbox, inbox = outbox_tables(metadata)

vehicles = Table(
    "vehicles", metadata,
    Column("vin", String(17), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("approval_number", String(35), nullable=False, index=True),
    Column("type", String(15), nullable=False),
    Column("variant", String(25), nullable=False),
    Column("version", String(35), nullable=False),
    Column("production_date", Date),  # none for an L-category vehicle (no item 0.11)
    Column("intended_country", String(3)),  # optional in IVI 2.0
    Column("coc", JSONB, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("last_editor", String(200)),
    Column("findings", JSONB, nullable=False, server_default="[]"),
    Column("release_id", UUID(as_uuid=False)),
    Column("certificate", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("base_number", String(35), index=True),  # approval number without extension: impact of an approval
    Column("withdrawal", JSONB),  # {reason, by, at, certificate} once withdrawn
    Column("judged_with", JSONB),  # of the revision judged: {rule_packs: {pack: version}, approval_revision}
    # changed by PATCH or a correction since it was last imported: a re-import overwrites that only when asked
    Column("edited", Boolean, nullable=False, server_default=text("false")),
    # the reads of a region's volume (migration 0006): lists in VIN order, the dashboard's counts and blocked list
    Index("ix_vehicles_entity_vin", "entity", "vin"),
    Index("ix_vehicles_entity_status_vin", "entity", "status", "vin"),
    Index("ix_vehicles_entity_country_status", "entity", "intended_country", "status"),
    Index("ix_vehicles_blocked_recent", "entity", text("updated_at DESC"), "vin",
          postgresql_where=text("status = 'blocked'")),
)

# the eCoCs of earlier stages of a multi-stage vehicle (a base vehicle's), beside the current-stage record; a
# stage is its importing entity's and is attached only to that entity's record of the VIN
vehicle_stages = Table(
    "vehicle_stages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vin", String(17), nullable=False),
    Column("stage", Integer, nullable=False),
    Column("entity", String(32), nullable=False),
    Column("approval_number", String(35), nullable=False),
    Column("type", String(15), nullable=False),
    Column("variant", String(25), nullable=False),
    Column("version", String(35), nullable=False),
    Column("stage_of_completion", String(1), nullable=False),
    Column("coc", JSONB, nullable=False),
    Column("header", JSONB, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("imported_by", String(200)),
    UniqueConstraint("vin", "entity", "stage", name="vehicle_stages_vin_entity_stage_key"),
)

vehicle_revisions = Table(
    "vehicle_revisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vin", String(17), ForeignKey("vehicles.vin"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("diff", JSONB, nullable=False),
    Column("actor", String(200)),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("vin", "revision"),
)

releases = Table(
    "releases", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("entity", String(32), nullable=False, index=True),
    Column("status", String(32), nullable=False, index=True),
    Column("note", Text),
    Column("requested_by", String(200), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("reviewed_by", String(200)),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("rejection_reason", Text),
    Column("signer", String(200)),
    Column("sign_requested_at", DateTime(timezone=True)),
    Column("completed_at", DateTime(timezone=True)),
    Index("ix_releases_entity_requested", "entity", "requested_at", "id"),  # the release list (migration 0007)
)

release_items = Table(
    "release_items", metadata,
    Column("release_id", UUID(as_uuid=False), ForeignKey("releases.id"), primary_key=True),
    Column("vin", String(17), ForeignKey("vehicles.vin"), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("failure", Text),
    Column("reference_id", String(36)),
    Column("version_number", Integer),
    # what the reviewers saw and signing seals (`domain.pinning`); a change takes the item out: `reopened`
    Column("approval_id", String(36)),
    Column("approval_number", String(35)),
    Column("approval_revision", Integer),
    Column("rule_packs", JSONB),
    Column("content", JSONB),
    Column("content_sha256", String(64)),
    Column("reopened_reason", Text),
)

# The rollout scopes of each entity, as the rollout service's `scope_changed` events last said them (the newest
# generation wins): the release path asks this copy which scope and mode a vehicle is in, with no RPC per VIN.
rollout_scopes = Table(
    "rollout_scopes", metadata,
    Column("entity", String(32), primary_key=True),
    Column("generation", BigInteger, nullable=False),
    Column("scopes", JSONB, nullable=False),
)

# Comments on a vehicle or a release: immutable (a trigger refuses UPDATE and DELETE), attributed, audited
# (`comment_added` through the outbox). Exactly one of `vin` and `release_id` names what it is about.
comments = Table(
    "comments", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("vin", String(17), nullable=True),
    Column("release_id", UUID(as_uuid=False), nullable=True),
    Column("author", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_comments_vin", "vin", "created_at"),
    Index("ix_comments_release", "release_id", "created_at"),
)

# Teams of an entity (members by `sub`, or by a group of their token's groups claim) and the ordered rules that make a team the owner of vehicles and releases.
teams = Table(
    "teams", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("members", JSONB, nullable=False),
    Column("groups", JSONB, nullable=False, server_default="[]"),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("entity", "name", name="uq_teams_entity_name"),
)

ownership_rules = Table(
    "ownership_rules", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("entity", String(32), nullable=False, index=True),
    Column("team_id", UUID(as_uuid=False), ForeignKey("teams.id"), nullable=False),
    Column("field", String(32), nullable=False),
    Column("pattern", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Who works on a blocked vehicle (kind `vehicle`, id its VIN) or a waiting release (kind `release`): claimed by a
# member of the owning team, or assigned by a team lead. It ends when the item leaves the work list.
work_assignments = Table(
    "work_assignments", metadata,
    Column("kind", String(16), primary_key=True),
    Column("item_id", String(36), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("assignee", String(200), nullable=False, index=True),
    Column("assigned_by", String(200), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
)
