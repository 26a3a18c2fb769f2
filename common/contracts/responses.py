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


class FeedEvent(Open):
    """An event of the change feed (`GET /v1/events`) and of a webhook delivery: who did what to which subjects,
    with a small payload (common/feed.py)."""

    id = fields.String(required=True)
    type = fields.String(required=True)
    source = fields.String(required=True)
    occurred_at = fields.String(required=True)
    entity = _text(required=True)
    subject = fields.String(required=True)
    subjects = fields.List(fields.String(), required=True)
    actor = _text(required=True)
    data = fields.Dict(required=True)


class EventPage(Open):
    events = fields.List(fields.Nested(FeedEvent), required=True)
    next_cursor = _text(required=True)
    has_more = fields.Boolean(required=True)


class WebhookOut(Open):
    id = fields.String(required=True)
    entity = fields.String(required=True)
    url = fields.String(required=True)
    event_types = fields.List(fields.String(), allow_none=True, required=True)
    description = _text()
    active = fields.Boolean(required=True)
    disabled_reason = _text(required=True)
    revision = fields.Integer(required=True)
    created_by = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    deliveries = fields.Dict(keys=fields.String(), values=fields.Integer())  # count per status


class WebhookCreated(WebhookOut):
    secret = fields.String(required=True)  # the HMAC key of the deliveries: shown only in this answer


class WebhookPage(Open):
    items = fields.List(fields.Nested(WebhookOut), required=True)
    next_cursor = _text(required=True)


class DeliveryOut(Open):
    id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True)  # pending, delivered, failed
    attempts = fields.Integer(required=True)
    queued_at = fields.String(required=True)
    next_attempt_at = _text()
    delivered_at = _text()
    last_attempt = fields.Dict(allow_none=True)  # {at, status_code, latency_ms, error}


class DeliveryDetail(DeliveryOut):
    event = fields.Nested(FeedEvent, required=True)
    attempts_log = fields.List(fields.Dict(), required=True)


class DeliveryPage(Open):
    items = fields.List(fields.Nested(DeliveryOut), required=True)
    next_cursor = _text(required=True)


class RolloutScope(Open):
    id = fields.String(required=True)
    entity = fields.String(required=True)
    name = fields.String(required=True)
    selector = fields.Dict(required=True)
    mode = fields.String(required=True)
    revision = fields.Integer(required=True)
    cutover = fields.Dict(allow_none=True)  # a pending shadow -> live request
    explanations = fields.Dict(required=True)


class RolloutScopePage(Open):
    items = fields.List(fields.Nested(RolloutScope), required=True)
    next_cursor = _text(required=True)


class RolloutOverview(Open):
    scopes = fields.List(fields.Dict(), required=True)  # each: the scope with volume, parity_rate, gate, volumes


class ParityReport(Open):
    scope_id = fields.String(required=True)
    mode = fields.String(required=True)
    volume = fields.Integer(required=True)
    matched = fields.Integer(required=True)
    parity_rate = fields.Float(allow_none=True, required=True)
    differing_fields = fields.List(fields.Dict(), required=True)
    legacy_findings = fields.List(fields.Dict(), required=True)
    excluded = fields.List(fields.Dict(), required=True)
    gate = fields.Dict(required=True)
    digest = fields.String(required=True)


class LegacyOutcome(Open):
    accepted = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    documents = fields.List(fields.Dict(), required=True)
    rejected = fields.List(fields.Dict(), required=True)
