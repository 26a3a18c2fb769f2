"""The event envelope and the names of every event, shared by producers and consumers."""
from marshmallow import INCLUDE, RAISE, Schema, fields, validate

CONTRACT_VERSION = 1

APPROVAL_REGISTERED = "approval_registered"
APPROVAL_EXTENDED = "approval_extended"
APPROVAL_WITHDRAWN = "approval_withdrawn"
APPROVAL_VERSION_ADDED = "approval_version_added"
ENTITY_CHANGED = "entity_changed"
VEHICLE_CHANGED = "vehicle_changed"
VEHICLE_STATUS_CHANGED = "vehicle_status_changed"
VEHICLE_WITHDRAWN = "vehicle_withdrawn"
VEHICLE_DELETED = "vehicle_deleted"
VEHICLE_STAGE_IMPORTED = "vehicle_stage_imported"
RELEASE_REQUESTED = "release_requested"
RELEASE_APPROVED = "release_approved"
RELEASE_REJECTED = "release_rejected"
RELEASE_SIGN_REQUESTED = "release_sign_requested"
RELEASE_COMPLETED = "release_completed"
RELEASE_ITEM_REOPENED = "release_item_reopened"
COMMENT_ADDED = "comment_added"
TEAM_SAVED = "team_saved"
OWNERSHIP_RULE_ADDED = "ownership_rule_added"
OWNERSHIP_RULE_REMOVED = "ownership_rule_removed"
WORK_ASSIGNED = "work_assigned"
WORK_UNASSIGNED = "work_unassigned"
VALIDATION_COMPLETED = "validation_completed"
EXCEPTION_REQUESTED = "exception_requested"
EXCEPTION_ACCEPTED = "exception_accepted"
EXCEPTION_REFUSED = "exception_refused"
CERTIFICATE_SIGNED = "certificate_signed"
CERTIFICATE_FAILED = "certificate_failed"
CERTIFICATE_SUPERSEDED = "certificate_superseded"
CERTIFICATE_WITHDRAWN = "certificate_withdrawn"
PAPER_PRINTED = "paper_printed"
PAPER_LAYOUT_CHANGED = "paper_layout_changed"
WEBHOOK_CREATED = "webhook_created"
WEBHOOK_UPDATED = "webhook_updated"
WEBHOOK_DELETED = "webhook_deleted"
WEBHOOK_DISABLED = "webhook_disabled"
WEBHOOK_PINGED = "webhook_pinged"
WEBHOOK_REDELIVERED = "webhook_redelivered"
SCOPE_CHANGED = "scope_changed"
CUTOVER_REQUESTED = "cutover_requested"
LEGACY_RECEIVED = "legacy_received"
PARITY_COMPUTED = "parity_computed"
DELIVERY_TARGET_CHANGED = "delivery_target_changed"
DELIVERY_QUEUED = "delivery_queued"
DELIVERY_ACCEPTED = "delivery_accepted"
DELIVERY_REJECTED = "delivery_rejected"
DELIVERY_FAILED = "delivery_failed"
PAPER_JOB_REQUESTED = "paper_job_requested"
PAPER_JOB_FAILED = "paper_job_failed"

EVENTS_BY_SOURCE = {
    "approvals": (APPROVAL_REGISTERED, APPROVAL_EXTENDED, APPROVAL_WITHDRAWN, APPROVAL_VERSION_ADDED, ENTITY_CHANGED),
    "vehicles": (VEHICLE_CHANGED, VEHICLE_STATUS_CHANGED, VEHICLE_WITHDRAWN, VEHICLE_STAGE_IMPORTED, RELEASE_REQUESTED,
                 RELEASE_APPROVED, RELEASE_REJECTED, RELEASE_SIGN_REQUESTED, RELEASE_COMPLETED, RELEASE_ITEM_REOPENED,
                 VEHICLE_DELETED, COMMENT_ADDED, TEAM_SAVED, OWNERSHIP_RULE_ADDED, OWNERSHIP_RULE_REMOVED,
                 WORK_ASSIGNED, WORK_UNASSIGNED),
    "validation": (VALIDATION_COMPLETED, EXCEPTION_REQUESTED, EXCEPTION_ACCEPTED, EXCEPTION_REFUSED),
    "signing": (CERTIFICATE_SIGNED, CERTIFICATE_FAILED, CERTIFICATE_SUPERSEDED, CERTIFICATE_WITHDRAWN, PAPER_PRINTED,
                PAPER_LAYOUT_CHANGED, PAPER_JOB_REQUESTED, PAPER_JOB_FAILED),
    "webhooks": (WEBHOOK_CREATED, WEBHOOK_UPDATED, WEBHOOK_DELETED, WEBHOOK_DISABLED, WEBHOOK_PINGED,
                 WEBHOOK_REDELIVERED),
    "rollout": (SCOPE_CHANGED, CUTOVER_REQUESTED, LEGACY_RECEIVED, PARITY_COMPUTED),
    "delivery": (DELIVERY_TARGET_CHANGED, DELIVERY_QUEUED, DELIVERY_ACCEPTED, DELIVERY_REJECTED, DELIVERY_FAILED),
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
    roles = fields.List(fields.String(), allow_none=True, load_default=None)  # the actor's roles, when known
    entity = fields.String(allow_none=True, required=True)
    subject = fields.String(required=True)
    subjects = fields.List(fields.String(), required=True)
    data = fields.Dict(required=True)
    trace = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


# -- the `data` of each event -------------------------------------------------------------------

class Tolerant(Schema):
    """Event data: known fields are checked, unknown ones are kept (newer producers may add fields)."""

    class Meta:
        unknown = INCLUDE


class Pin(Schema):
    """What a release item pinned for review, handed to signing with its vehicle (`common.canonical`)."""

    class Meta:
        unknown = RAISE

    approval_id = fields.String(required=True, validate=validate.Length(1, 64))
    approval_revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    content_sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class VehicleRecord(Tolerant):
    """A vehicle as other services need it to judge or certify it (vehicle_changed, release_sign_requested).

    Only what identifies the record is strict; the rest is judged by the validation rules."""

    vin = fields.String(required=True, validate=validate.Length(1, 64))
    revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    entity = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=32))
    approval_number = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64))
    type = fields.String(allow_none=True, load_default=None)
    variant = fields.String(allow_none=True, load_default=None)
    version = fields.String(allow_none=True, load_default=None)
    production_date = fields.String(allow_none=True, load_default=None)
    intended_country = fields.String(allow_none=True, load_default=None)
    coc = fields.Dict(keys=fields.String(), allow_none=True, load_default=dict)
    pinned = fields.Nested(Pin)  # a vehicle of a release: signing seals only this reviewed content


class VinStatus(Tolerant):
    vin = fields.String(required=True)
    status = fields.String(required=True)


class Finding(Tolerant):
    rule = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(("error", "warning")))
    path = fields.String(required=True, allow_none=True)
    message = fields.String(required=True)
    expected = fields.String(allow_none=True)
    found = fields.String(allow_none=True)


class ValidationResult(Tolerant):
    vin = fields.String(required=True)
    revision = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("valid", "blocked")))
    findings = fields.List(fields.Nested(Finding), required=True)
    rule_pack = fields.Dict(keys=fields.String(), values=fields.String())  # the rule-pack versions that judged it
    approval_revision = fields.Integer(allow_none=True)


class CertificateRef(Tolerant):
    vin = fields.String(required=True)
    reference_id = fields.String(required=True)
    version_number = fields.Integer()
    sha256 = fields.String()
    content_sha256 = fields.String(allow_none=True)  # of the composed content sealed (`common.canonical`)
    findings = fields.List(fields.Dict())  # warnings found before sealing, e.g. the seal expires soon


class VinFailure(Tolerant):
    vin = fields.String(required=True)
    reason = fields.String(required=True)


class PaperPrint(Tolerant):
    """One paper CoC printed: which certificate version, and its print number (1 the original, then duplicates)."""
    vin = fields.String(required=True)
    reference_id = fields.String(required=True)
    version_number = fields.Integer(required=True)
    print_number = fields.Integer(required=True)


class DeliveryRef(Tolerant):
    """One delivery of a certificate version to a NAP target."""
    id = fields.String(required=True)
    vin = fields.String(required=True)
    reference_id = fields.String(required=True)
    version_number = fields.Integer(required=True)
    target = fields.String(required=True)


class NapError(Tolerant):
    code = fields.String(required=True)
    path = fields.String(allow_none=True)
    message = fields.String(required=True)


def _data(**declared):
    return Tolerant.from_dict(declared)


DATA_SCHEMAS = {
    APPROVAL_REGISTERED: _data(id=fields.String(required=True), number=fields.String(required=True),
                               revision=fields.Integer(required=True)),
    APPROVAL_EXTENDED: _data(id=fields.String(required=True), number=fields.String(required=True),
                             revision=fields.Integer(required=True), extension=fields.Integer(required=True),
                             issue_date=fields.Date(required=True), previous_number=fields.String()),
    APPROVAL_WITHDRAWN: _data(id=fields.String(required=True), number=fields.String(required=True),
                              effective_date=fields.Date(required=True), reason=fields.String(required=True)),
    APPROVAL_VERSION_ADDED: _data(id=fields.String(required=True), number=fields.String(required=True),
                                  revision=fields.Integer(required=True), type=fields.String(required=True),
                                  variant=fields.String(required=True), version=fields.String(required=True)),
    ENTITY_CHANGED: _data(code=fields.String(required=True), revision=fields.Integer(required=True)),
    VEHICLE_CHANGED: _data(vehicles=fields.List(fields.Nested(VehicleRecord), required=True)),
    VEHICLE_STATUS_CHANGED: _data(vehicles=fields.List(fields.Nested(VinStatus), required=True)),
    VEHICLE_WITHDRAWN: _data(vin=fields.String(required=True), revision=fields.Integer(),
                             reason=fields.String(required=True),
                             certificate=fields.Nested(CertificateRef, required=True, allow_none=True)),
    VEHICLE_DELETED: _data(vin=fields.String(required=True), revision=fields.Integer(required=True),
                           status=fields.String(required=True), reason=fields.String(allow_none=True)),
    VEHICLE_STAGE_IMPORTED: _data(vin=fields.String(required=True), stage=fields.Integer(required=True),
                                  approval_number=fields.String(required=True), type=fields.String(required=True),
                                  variant=fields.String(required=True), version=fields.String(required=True),
                                  stage_of_completion=fields.String(required=True),
                                  coc=fields.Dict(keys=fields.String(), required=True),
                                  attached_to_revision=fields.Integer(allow_none=True, required=True)),
    RELEASE_REQUESTED: _data(release_id=fields.String(required=True), vins=fields.List(fields.String(), required=True),
                             note=fields.String(allow_none=True)),
    RELEASE_APPROVED: _data(release_id=fields.String(required=True), vins=fields.List(fields.String(), required=True)),
    RELEASE_REJECTED: _data(release_id=fields.String(required=True), vins=fields.List(fields.String(), required=True),
                            reason=fields.String(required=True)),
    RELEASE_SIGN_REQUESTED: _data(release_id=fields.String(required=True), signatory=fields.Dict(required=True),
                                  vehicles=fields.List(fields.Nested(VehicleRecord), required=True)),
    RELEASE_COMPLETED: _data(release_id=fields.String(required=True), status=fields.String(required=True),
                             released=fields.Integer(required=True),
                             failures=fields.List(fields.Nested(VinFailure), required=True)),
    RELEASE_ITEM_REOPENED: _data(release_id=fields.String(required=True),
                                 vins=fields.List(fields.String(), required=True),
                                 reason=fields.String(required=True), release_status=fields.String(required=True)),
    TEAM_SAVED: _data(team_id=fields.String(required=True), name=fields.String(required=True),
                      members=fields.List(fields.String(), required=True), groups=fields.List(fields.String())),
    OWNERSHIP_RULE_ADDED: _data(rule_id=fields.String(required=True), team_id=fields.String(required=True),
                                field=fields.String(required=True), pattern=fields.String(required=True),
                                position=fields.Integer(required=True)),
    OWNERSHIP_RULE_REMOVED: _data(rule_id=fields.String(required=True), team_id=fields.String(required=True),
                                  field=fields.String(required=True), pattern=fields.String(required=True)),
    WORK_ASSIGNED: _data(kind=fields.String(required=True), item_id=fields.String(required=True),
                         assignee=fields.String(required=True), team_id=fields.String(allow_none=True, required=True),
                         previous=fields.String(allow_none=True, required=True)),
    WORK_UNASSIGNED: _data(kind=fields.String(required=True), item_id=fields.String(required=True),
                           assignee=fields.String(required=True)),
    COMMENT_ADDED: _data(comment_id=fields.String(required=True), vin=fields.String(allow_none=True, required=True),
                         release_id=fields.String(allow_none=True, required=True), body=fields.String(required=True)),
    VALIDATION_COMPLETED: _data(results=fields.List(fields.Nested(ValidationResult), required=True)),
    EXCEPTION_REQUESTED: _data(exception_id=fields.String(required=True), rule=fields.String(required=True),
                               vin=fields.String(allow_none=True, required=True),
                               approval_number=fields.String(allow_none=True, required=True),
                               approval_revision=fields.Integer(allow_none=True, required=True),
                               reason=fields.String(required=True), expires_on=fields.String(required=True)),
    EXCEPTION_ACCEPTED: _data(exception_id=fields.String(required=True), rule=fields.String(required=True),
                              vin=fields.String(allow_none=True, required=True),
                              requested_by=fields.String(required=True), expires_on=fields.String(required=True),
                              note=fields.String(allow_none=True)),
    EXCEPTION_REFUSED: _data(exception_id=fields.String(required=True), rule=fields.String(required=True),
                             vin=fields.String(allow_none=True, required=True),
                             requested_by=fields.String(required=True), note=fields.String(allow_none=True)),
    CERTIFICATE_SIGNED: _data(release_id=fields.String(required=True, allow_none=True),
                              certificates=fields.List(fields.Nested(CertificateRef), required=True)),
    CERTIFICATE_FAILED: _data(release_id=fields.String(required=True, allow_none=True),
                              failures=fields.List(fields.Nested(VinFailure), required=True)),
    CERTIFICATE_SUPERSEDED: _data(certificates=fields.List(fields.Nested(CertificateRef), required=True)),
    CERTIFICATE_WITHDRAWN: _data(vin=fields.String(required=True), reference_id=fields.String(required=True),
                                 version_number=fields.Integer(required=True), reason=fields.String(required=True)),
    PAPER_PRINTED: _data(release_id=fields.String(required=True, allow_none=True),
                         form=fields.String(required=True, validate=validate.OneOf(("pdf", "zip"))),
                         prints=fields.List(fields.Nested(PaperPrint), required=True),
                         job_id=fields.String(), part=fields.Integer()),  # printed by a release's print job
    PAPER_LAYOUT_CHANGED: _data(settings=fields.Dict(required=True)),
    WEBHOOK_CREATED: _data(webhook_id=fields.String(required=True), url=fields.String(required=True),
                           event_types=fields.List(fields.String(), allow_none=True, required=True)),
    WEBHOOK_UPDATED: _data(webhook_id=fields.String(required=True), changed=fields.List(fields.String(), required=True),
                           active=fields.Boolean(required=True)),
    WEBHOOK_DELETED: _data(webhook_id=fields.String(required=True)),
    WEBHOOK_DISABLED: _data(webhook_id=fields.String(required=True), reason=fields.String(required=True),
                            failing_since=fields.String(required=True)),
    WEBHOOK_PINGED: _data(webhook_id=fields.String(required=True), delivery_id=fields.String(required=True)),
    WEBHOOK_REDELIVERED: _data(webhook_id=fields.String(required=True), delivery_id=fields.String(required=True),
                               event_id=fields.String(required=True)),
    # every scope of the entity after the change, so a consumer keeps a whole copy (the newest generation wins)
    SCOPE_CHANGED: _data(entity=fields.String(required=True), generation=fields.Integer(required=True),
                         change=fields.String(required=True), scope=fields.Dict(required=True),
                         scopes=fields.List(fields.Dict(), required=True)),
    CUTOVER_REQUESTED: _data(scope_id=fields.String(required=True), report_digest=fields.String(required=True),
                             gate=fields.Dict(required=True)),
    LEGACY_RECEIVED: _data(documents=fields.List(fields.Dict(), required=True)),
    PARITY_COMPUTED: _data(results=fields.List(fields.Dict(), required=True)),


    DELIVERY_TARGET_CHANGED: _data(entity=fields.String(required=True), name=fields.String(required=True),
                                   revision=fields.Integer(required=True), endpoint=fields.String(required=True),
                                   profile=fields.String(required=True), enabled=fields.Boolean(required=True)),
    DELIVERY_QUEUED: _data(deliveries=fields.List(fields.Nested(DeliveryRef), required=True),
                           trigger=fields.String(required=True)),
    DELIVERY_ACCEPTED: _data(delivery=fields.Nested(DeliveryRef, required=True),
                             receipt_id=fields.String(allow_none=True), attempts=fields.Integer(required=True),
                             duplicate=fields.Boolean()),
    DELIVERY_REJECTED: _data(delivery=fields.Nested(DeliveryRef, required=True),
                             receipt_id=fields.String(allow_none=True), attempts=fields.Integer(required=True),
                             owner=fields.String(allow_none=True),
                             errors=fields.List(fields.Nested(NapError), required=True)),
    DELIVERY_FAILED: _data(delivery=fields.Nested(DeliveryRef, required=True), attempts=fields.Integer(required=True),
                           owner=fields.String(allow_none=True), last_error=fields.String(allow_none=True)),
    PAPER_JOB_REQUESTED: _data(job_id=fields.String(required=True), release_id=fields.String(required=True),
                               form=fields.String(required=True, validate=validate.OneOf(("pdf", "zip"))),
                               count=fields.Integer(required=True)),
    PAPER_JOB_FAILED: _data(job_id=fields.String(required=True), release_id=fields.String(required=True),
                            reason=fields.String(required=True)),
}


def data_errors(envelope):
    """Problems of an event's `data` against its contract ({} when fine or when the type has none)."""
    schema = DATA_SCHEMAS.get(envelope.get("event_type"))
    return schema().validate(envelope.get("data") or {}) if schema else {}
