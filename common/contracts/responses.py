"""What the gateway answers on success (v1), for the OpenAPI document and its conformance checks.

The fields clients rely on are declared and typed; objects stay open (`unknown = INCLUDE`) so a service
may add fields without breaking the contract."""
from marshmallow import INCLUDE, Schema, fields


class Open(Schema):
    class Meta:
        unknown = INCLUDE


def _text(**kw):
    return fields.String(allow_none=True, **kw)


class Health(Open):
    status = fields.String(required=True)
    gateway = fields.String(required=True)
    services = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    # messages waiting in each non-empty dead-letter queue (events that failed every retry), as last watched
    dead_letters = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class Contract(Open):
    openapi = fields.String(required=True)
    paths = fields.Dict(required=True)


class EntityOut(Open):
    code = fields.String(required=True)
    legal_name = fields.String(required=True)
    role = fields.String(required=True)
    address = fields.Dict(required=True)
    wmis = fields.List(fields.String(), required=True)
    signatories = fields.List(fields.Dict(), required=True)
    seal_certificate = _text(required=True)
    revision = fields.Integer(required=True)


class ApprovalOut(Open):
    id = fields.String(required=True)
    number = fields.String(required=True)
    revision = fields.Integer(required=True)
    entity = fields.String()
    status = fields.String()
    approval_type = fields.String()
    provisional = fields.Boolean()
    category = fields.String()
    stage_of_completion = fields.String()
    withdrawn_on = _text()
    withdrawal = fields.Dict(allow_none=True)
    extension = fields.Integer(allow_none=True)
    issue_date = _text()
    coc = fields.Dict()
    versions = fields.List(fields.Dict())
    history = fields.List(fields.Dict())


class ApprovalPage(Open):
    items = fields.List(fields.Nested(ApprovalOut), required=True)
    next_cursor = _text(required=True)


class FromIviOutcome(Open):
    outcome = fields.String(required=True)


class ApprovalImpact(Open):
    approval = fields.Dict(required=True)


class VehicleOut(Open):
    vin = fields.String(required=True)
    revision = fields.Integer(required=True)
    status = fields.String(required=True)
    entity = fields.String()
    approval_number = fields.String()
    type = fields.String()
    variant = fields.String()
    version = fields.String()
    production_date = fields.String()
    intended_country = fields.String()
    coc = fields.Dict()
    findings = fields.List(fields.Dict())
    last_editor = _text()
    release_id = _text()
    certificate = fields.Dict(allow_none=True)
    withdrawal = fields.Dict(allow_none=True)


class VehiclePage(Open):
    items = fields.List(fields.Nested(VehicleOut), required=True)
    next_cursor = _text(required=True)


class RowRejection(Open):
    index = fields.Integer(required=True)
    vin = _text(required=True)
    errors = fields.List(fields.Dict(), required=True)


class ImportOutcome(Open):
    accepted = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    rejected = fields.List(fields.Nested(RowRejection), required=True)


class VehicleRevisions(Open):
    vin = fields.String(required=True)
    revisions = fields.List(fields.Dict(), required=True)
    next_cursor = _text(required=True)


class VehicleStages(Open):
    vin = fields.String(required=True)
    stages = fields.List(fields.Dict(), required=True)


class CertificateSummary(Open):
    reference_id = fields.String(required=True)
    version_number = fields.Integer(required=True)
    sha256 = fields.String()
    content_sha256 = _text()  # of the composed content sealed: the digest its release item pinned for review
    status = fields.String()
    signed_at = _text()


class CertificatePage(Open):
    vin = fields.String(required=True)
    items = fields.List(fields.Nested(CertificateSummary), required=True)
    next_cursor = _text(required=True)


class Verification(Open):
    valid = fields.Boolean(required=True)
    errors = fields.List(fields.Raw(), required=True)
    reference_id = _text()
    vin = _text()
    signer = fields.Dict(allow_none=True)


class VinReason(Open):
    vin = fields.String(required=True)
    reason = fields.String(required=True)


class ReleaseRequested(Open):
    id = fields.String(required=True)
    status = fields.String(required=True)
    rejected = fields.List(fields.Nested(VinReason), required=True)


class ReleaseItemOut(Open):
    """A release item: the vehicle revision, what it pinned for review (approval revision, rule-pack versions,
    SHA-256 of the composed content, `common.canonical`) and its state (`reopened` with the reason when a
    change took it out of the release)."""

    vin = fields.String(required=True)
    revision = fields.Integer(required=True)
    state = fields.String(required=True)
    failure = _text()
    reopened_reason = _text()
    reference_id = _text()
    version_number = fields.Integer(allow_none=True)
    approval_id = _text()
    approval_number = _text()
    approval_revision = fields.Integer(allow_none=True)
    rule_packs = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    content_sha256 = _text()


class ReleaseItemContent(ReleaseItemOut):
    content = fields.Dict(allow_none=True)  # the composed CoC the reviewers see and signing seals


class ReleaseOut(Open):
    id = fields.String(required=True)
    status = fields.String(required=True)
    entity = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    vehicles = fields.List(fields.Nested(ReleaseItemOut))


class RulePage(Open):
    items = fields.List(fields.Dict(), required=True)
    next_cursor = _text(required=True)


class AuditPage(Open):
    entries = fields.List(fields.Dict(), required=True)
    next_cursor = _text(required=True)


class AuditVerification(Open):
    valid = fields.Boolean(required=True)
    scope = fields.String(metadata={"description": "`since_checkpoint` (the default check) or `full`"})


class PaperLayoutOut(Open):
    """An entity's print settings for its paper CoCs, defaults filled in."""
    margins = fields.Dict(required=True, metadata={"description": "top, right, bottom, left in mm"})
    background_svg = fields.String(allow_none=True, required=True)
    watermark = fields.String(allow_none=True, required=True)
    language = fields.String(required=True)
    pades = fields.Boolean(required=True)


class PaperJobOut(Open):
    """A release's print job: its file is at `/v1/paper-jobs/{id}/file` once `status` is `done`."""
    id = fields.String(required=True, metadata={"description": "the job's id (random)"})
    release_id = fields.String(required=True)
    form = fields.String(required=True, metadata={"description": "`pdf` or `zip`"})
    status = fields.String(required=True, metadata={"description": "queued | rendering | done | failed"})
    count = fields.Integer(required=True, metadata={"description": "certificates printed"})
    requested_by = fields.String(required=True)
    requested_at = fields.String(required=True)
    started_at = fields.String(allow_none=True, required=True)
    finished_at = fields.String(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True, metadata={"description": "why a failed job failed"})
    filename = fields.String(required=True)
    media_type = fields.String(required=True)
    size = fields.Integer(allow_none=True, required=True, metadata={"description": "bytes of the finished file"})
    sha256 = fields.String(allow_none=True, required=True, metadata={"description": "of the finished file"})
