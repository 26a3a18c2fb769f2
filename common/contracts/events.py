"""The event envelope and the names of every event, shared by producers and consumers."""
from marshmallow import RAISE, Schema, fields

CONTRACT_VERSION = 1

APPROVAL_REGISTERED = "approval_registered"
APPROVAL_EXTENDED = "approval_extended"
APPROVAL_WITHDRAWN = "approval_withdrawn"
ENTITY_CHANGED = "entity_changed"
VEHICLE_CHANGED = "vehicle_changed"
VEHICLE_STATUS_CHANGED = "vehicle_status_changed"
RELEASE_REQUESTED = "release_requested"
RELEASE_APPROVED = "release_approved"
RELEASE_REJECTED = "release_rejected"
RELEASE_SIGN_REQUESTED = "release_sign_requested"
RELEASE_COMPLETED = "release_completed"
VALIDATION_COMPLETED = "validation_completed"
CERTIFICATE_SIGNED = "certificate_signed"
CERTIFICATE_FAILED = "certificate_failed"
CERTIFICATE_SUPERSEDED = "certificate_superseded"

EVENTS_BY_SOURCE = {
    "approvals": (APPROVAL_REGISTERED, APPROVAL_EXTENDED, APPROVAL_WITHDRAWN, ENTITY_CHANGED),
    "vehicles": (VEHICLE_CHANGED, VEHICLE_STATUS_CHANGED, RELEASE_REQUESTED, RELEASE_APPROVED,
                 RELEASE_REJECTED, RELEASE_SIGN_REQUESTED, RELEASE_COMPLETED),
    "validation": (VALIDATION_COMPLETED,),
    "signing": (CERTIFICATE_SIGNED, CERTIFICATE_FAILED, CERTIFICATE_SUPERSEDED),
}


class Envelope(Schema):
    """Every event: who did what to which subject, when, in which trace."""

    class Meta:
        unknown = RAISE

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    source = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)
    actor = fields.String(allow_none=True, required=True)
    entity = fields.String(allow_none=True, required=True)
    subject = fields.String(required=True)
    subjects = fields.List(fields.String(), required=True)
    data = fields.Dict(required=True)
    trace = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
