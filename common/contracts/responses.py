"""What the gateway answers on success (v1), for the OpenAPI document and its conformance checks.

The fields clients rely on are declared and typed; objects stay open (`unknown = INCLUDE`) so a service
may add fields without breaking the contract."""
from marshmallow import INCLUDE, Schema, fields, validate

from common.contracts.approvals import Address, Signatory
from common.contracts.coc import CocField


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
    paths = fields.Dict(keys=fields.String(), values=fields.Dict(metadata={"description": "an OpenAPI path item"}),
                        required=True,
                        metadata={"description": "OpenAPI path items by path"})


class EntityOut(Open):
    code = fields.String(required=True)
    legal_name = fields.String(required=True)
    role = fields.String(required=True)
    address = fields.Nested(Address, required=True)
    wmis = fields.List(fields.String(), required=True)
    signatories = fields.List(fields.Nested(Signatory), required=True)
    seal_certificate = _text(required=True)
    revision = fields.Integer(required=True)


class FieldMessage(Open):
    field = fields.String(required=True)
    message = fields.String(required=True)


class VersionOut(Open):
    type = fields.String(required=True)
    variant = fields.String(required=True)
    version = fields.String(required=True)
    coc = CocField()
    ranges = fields.Dict(keys=fields.String(), values=fields.Nested("RangeOut"), metadata={
        "description": "approved ranges by IVI path, e.g. `{\"MassGroup.MassInRunningOrder\": {\"min\": 1860, "
                       "\"max\": 1960}}`"})
    type_level_coc = CocField(metadata={"description": "the approval's data merged with this version's"})


class RangeOut(Open):
    min = fields.Raw(metadata={"type": ["number", "string"]})
    max = fields.Raw(metadata={"type": ["number", "string"]})


class VersionKeyOut(Open):
    type = fields.String(required=True)
    variant = fields.String(required=True)
    version = fields.String(required=True)


class ApprovalRevisionOut(Open):
    """One revision of an approval (its registration or an extension) and the versions it touched."""

    revision = fields.Integer(required=True)
    extension = fields.Integer(allow_none=True)
    number = fields.String()
    issue_date = _text()
    reason = _text()
    created_by = _text()
    created_at = _text()
    versions_added = fields.List(fields.Nested(VersionKeyOut))
    versions_changed = fields.List(fields.Nested(VersionKeyOut))
    versions_removed = fields.List(fields.Nested(VersionKeyOut))


class ApprovalOut(Open):
    """An approval; the answer to registering one also carries `warnings`."""

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
    withdrawal = fields.Nested("ApprovalWithdrawalOut", allow_none=True)
    extension = fields.Integer(allow_none=True)
    issue_date = _text()
    coc = CocField()
    versions = fields.List(fields.Nested(VersionOut))
    history = fields.List(fields.Nested(ApprovalRevisionOut))
    warnings = fields.List(fields.Nested(FieldMessage), metadata={
        "description": "registration: mandatory IVI fields of its category that neither its type-level data nor a "
                       "vehicle's data provides (its vehicles would be blocked until an extension adds them)"})


class ApprovalWithdrawalOut(Open):
    effective_date = _text()
    reason = _text()
    withdrawn_by = _text()
    withdrawn_at = _text()


class ApprovalPage(Open):
    items = fields.List(fields.Nested(ApprovalOut), required=True)
    next_cursor = _text(required=True)


class ApprovalFromIvi(Open):
    """The approval version an IVI message registered (`registered`), added (`version_added`) or found
    (`unchanged`)."""

    outcome = fields.String(required=True, validate=validate.OneOf(("registered", "version_added", "unchanged")))
    id = fields.String(required=True)
    number = fields.String(required=True)
    revision = fields.Integer(required=True)
    type = fields.String(required=True)
    variant = fields.String(required=True)
    version = fields.String(required=True)
    warnings = fields.List(fields.Nested(FieldMessage), metadata={"description": "as on registering an approval"})


class VehicleFromIvi(Open):
    """The vehicle record an IVI message made (`accepted`) or matched (`unchanged`), as `GET /v1/vehicles/{vin}`
    shows it; with `?stage=base` the earlier stage kept (`base_stage`, or `unchanged`): its VIN, stage number and
    approval."""

    outcome = fields.String(required=True, validate=validate.OneOf(("accepted", "unchanged", "base_stage")))
    vin = fields.String(required=True)
    revision = fields.Integer()
    status = fields.String()
    stage = fields.Integer()
    entity = fields.String()
    approval_number = fields.String()
    type = fields.String()
    variant = fields.String()
    version = fields.String()
    stage_of_completion = fields.String()
    production_date = _text(metadata={"description": "date of manufacture (0.11); null where the CoC has none "
                                                     "(L category)"})
    intended_country = _text(metadata={"description": "Vienna code; null when none is named (optional in IVI 2.0)"})
    coc = CocField()
    findings = fields.List(fields.Nested(lambda: Finding))


class ApprovalSummary(Open):
    id = fields.String(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    withdrawn_on = _text()


class ApprovalImpact(Open):
    approval = fields.Nested(ApprovalSummary, required=True)


class Finding(Open):
    """A validation finding of a vehicle: the rule, its severity, the IVI path and what is wrong."""

    rule = fields.String()
    severity = fields.String()
    path = _text()
    message = fields.String()
    expected = _text()
    found = _text()


class VehicleOut(Open):
    vin = fields.String(required=True)
    revision = fields.Integer(required=True)
    status = fields.String(required=True)
    entity = fields.String()
    approval_number = fields.String()
    type = fields.String()
    variant = fields.String()
    version = fields.String()
    production_date = _text(metadata={"description": "date of manufacture (0.11); null where the CoC has none "
                                                     "(L category)"})
    intended_country = _text(metadata={"description": "Vienna code; null when none is named (optional in IVI 2.0)"})
    coc = CocField()
    findings = fields.List(fields.Nested(Finding))
    last_editor = _text()
    edited = fields.Boolean(metadata={"description": "changed by PATCH or a correction since its last import"})
    release_id = _text()
    certificate = fields.Nested(lambda: CertificateSummary, allow_none=True)
    withdrawal = fields.Nested("VehicleWithdrawalOut", allow_none=True)


class VehicleWithdrawalOut(Open):
    reason = _text()
    by = _text()
    at = _text()
    certificate = fields.Nested(lambda: CertificateSummary, allow_none=True)


class VehiclePage(Open):
    items = fields.List(fields.Nested(VehicleOut), required=True)
    next_cursor = _text(required=True)


class RowRejection(Open):
    index = fields.Integer(required=True)
    vin = _text(required=True)
    errors = fields.List(fields.Nested(FieldMessage), required=True)
    conflict = fields.Boolean(metadata={"description": "true: the vehicle was changed by PATCH or a correction "
                                                       "since its import; send the row again with `replace`"})


class ImportOutcome(Open):
    accepted = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    rejected = fields.List(fields.Nested(RowRejection), required=True)


class VehicleRevision(Open):
    revision = fields.Integer(required=True)
    actor = _text(required=True)
    reason = _text()
    at = fields.String(required=True)
    diff = fields.Dict(allow_none=True, metadata={
        "description": "what this revision changed against the one before: per changed field, its value before "
                       "and after (free-form: the fields of a vehicle record and its IVI paths)"})


class VehicleStage(Open):
    """An earlier stage's eCoC data of a multi-stage vehicle."""

    vin = fields.String(required=True)
    stage = fields.Integer(required=True)
    entity = fields.String()
    approval_number = _text()
    type = _text()
    variant = _text()
    version = _text()
    stage_of_completion = _text()
    coc = CocField()
    imported_at = _text()
    imported_by = _text()


class VehicleRevisions(Open):
    vin = fields.String(required=True)
    revisions = fields.List(fields.Nested(VehicleRevision), required=True)
    next_cursor = _text(required=True)


class VehicleStages(Open):
    vin = fields.String(required=True)
    stages = fields.List(fields.Nested(VehicleStage), required=True)


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
    errors = fields.List(fields.String(), required=True)
    reference_id = _text()
    vin = _text()
    signer = fields.Dict(allow_none=True, metadata={
        "description": "who sealed it, as the seal certificate names them (organisation, common name, ...)"})


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
    content = CocField(allow_none=True)  # the composed CoC the reviewers see and signing seals


class ReleaseOut(Open):
    id = fields.String(required=True)
    status = fields.String(required=True)
    entity = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    vehicles = fields.List(fields.Nested(ReleaseItemOut))


class Rule(Open):
    id = fields.String(required=True)
    pack = fields.String(required=True)
    version = fields.String(required=True)
    severity = fields.String(required=True)
    path = _text()
    description = _text()
    message = _text()
    requires = fields.List(fields.String())
    applicability = fields.Dict(metadata={"description": "which vehicles the rule applies to (categories, stages, "
                                                         "approval types); every key a condition"})


class RulePage(Open):
    items = fields.List(fields.Nested(Rule), required=True)
    packs = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "pack -> version"})
    next_cursor = _text(required=True)


class AuditEntry(Open):
    seq = fields.Integer(required=True)
    event_id = fields.String()
    event_type = fields.String(required=True)
    source = _text()
    occurred_at = fields.String(required=True)
    recorded_at = _text()
    actor = _text()
    roles = fields.List(fields.String(), allow_none=True)
    entity = _text()
    subject = _text()
    subjects = fields.List(fields.String())
    trace_id = _text()
    payload_digest = _text()
    data = fields.Dict(allow_none=True, metadata={"description": "the event's own data, as its type defines it"})
    hash = _text()
    prev_hash = _text()


class AuditPage(Open):
    entries = fields.List(fields.Nested(AuditEntry), required=True)
    next_cursor = _text(required=True)


class AuditVerification(Open):
    valid = fields.Boolean(required=True)
    scope = fields.String(metadata={"description": "`since_checkpoint` (the default check) or `full`"})


class PaperMargins(Open):
    """Page margins in mm."""

    top = fields.Float(required=True)
    right = fields.Float(required=True)
    bottom = fields.Float(required=True)
    left = fields.Float(required=True)


class PaperLayoutOut(Open):
    """An entity's print settings for its paper CoCs, defaults filled in."""

    margins = fields.Nested(PaperMargins, required=True)
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
    data = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "a small summary whose fields depend on `type` (docs/api.md, change feed): state changes, "
                       "findings counts, release ids, certificate reference id and version; never CoC data"})


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


class WebhookDeliveryOut(Open):
    """A delivery of a feed event to a webhook subscriber (not a NAP delivery: DeliveryOut)."""

    id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True)  # pending, delivered, failed
    attempts = fields.Integer(required=True)
    queued_at = fields.String(required=True)
    next_attempt_at = _text()
    delivered_at = _text()
    last_attempt = fields.Nested(lambda: WebhookAttempt, allow_none=True)


class WebhookAttempt(Open):
    """One POST of a delivery to its subscriber: when, the HTTP status answered (none when the connection
    failed), how long it took and the error, if any."""

    at = fields.String(required=True)
    status_code = fields.Integer(allow_none=True)
    latency_ms = fields.Integer(allow_none=True)
    error = _text()


class WebhookDeliveryDetail(WebhookDeliveryOut):
    event = fields.Nested(FeedEvent, required=True)
    attempts_log = fields.List(fields.Nested(WebhookAttempt), required=True)


class WebhookDeliveryPage(Open):
    items = fields.List(fields.Nested(WebhookDeliveryOut), required=True)
    next_cursor = _text(required=True)


class DeliveryTargetOut(Open):
    entity = fields.String(required=True)
    name = fields.String(required=True)
    country = _text()
    endpoint = fields.String(required=True)
    profile = fields.String(required=True)
    wsdl = _text()
    client_cert = fields.String(required=True)
    client_key = fields.String(required=True)
    ca_cert = _text()
    timeout_seconds = fields.Float(required=True)
    concurrency = fields.Integer(required=True)
    auto_deliver = fields.Boolean(required=True)
    enabled = fields.Boolean(required=True)
    revision = fields.Integer(required=True)


class DeliveryTargetList(Open):
    items = fields.List(fields.Nested(DeliveryTargetOut), required=True)
    next_cursor = _text(required=True)


class NapErrorOut(Open):
    code = fields.String(required=True)
    path = _text()
    message = fields.String(required=True)


class DeliveryAttemptOut(Open):
    number = fields.Integer(required=True)
    started_at = fields.String(required=True)
    finished_at = _text()
    latency_ms = fields.Float(allow_none=True)
    http_status = fields.Integer(allow_none=True)
    outcome = _text()  # accepted | rejected | transient | interrupted; null while under way
    receipt_id = _text()
    errors = fields.List(fields.Nested(NapErrorOut))
    detail = _text()


class DeliveryOut(Open):
    id = fields.String(required=True)
    entity = fields.String(required=True)
    vin = fields.String(required=True)
    reference_id = fields.String(required=True)
    version_number = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    target_name = fields.String(required=True)
    state = fields.String(required=True)  # queued | sending | accepted | rejected | failed
    trigger = fields.String(required=True)  # auto | manual | redelivery
    requested_by = _text()
    owner = _text()  # who acts on a rejection or failure
    attempts = fields.Integer(required=True)
    queued_at = fields.String(required=True)
    next_attempt_at = _text()
    finished_at = _text()
    receipt_id = _text()
    errors = fields.List(fields.Nested(NapErrorOut))
    last_error = _text()
    attempt_log = fields.List(fields.Nested(DeliveryAttemptOut))


class DeliveryPage(Open):
    items = fields.List(fields.Nested(DeliveryOut), required=True)
    next_cursor = _text(required=True)


class TypeSelectorOut(Open):
    type = fields.String(required=True)
    variant = fields.String()


class SelectorOut(Open):
    """What a scope selects; every named dimension must match, an absent one matches anything."""

    approval_numbers = fields.List(fields.String())
    types = fields.List(fields.Nested(TypeSelectorOut))
    vin_prefixes = fields.List(fields.String())
    categories = fields.List(fields.String())
    countries = fields.List(fields.String())


class CutoverRequestOut(Open):
    """A pending shadow -> live request: who asked, when, on which parity report."""

    requested_by = fields.String(required=True)
    requested_at = fields.String(required=True)
    report_digest = fields.String(required=True)
    note = _text()


class CutoverDecisionOut(CutoverRequestOut):
    """The approved cut-over: the request, who approved it and the report it was approved on."""

    approved_by = fields.String(required=True)
    approved_at = fields.String(required=True)
    requested_report_digest = fields.String(required=True)
    parity_rate = fields.Float(allow_none=True)
    volume = fields.Integer()


class ExplanationOut(Open):
    reason = fields.String(required=True)
    by = fields.String(required=True)
    at = fields.String(required=True)


class RolloutScope(Open):
    id = fields.String(required=True)
    entity = fields.String(required=True)
    name = fields.String(required=True)
    selector = fields.Nested(SelectorOut, required=True)
    mode = fields.String(required=True)
    revision = fields.Integer(required=True)
    cutover = fields.Nested(CutoverRequestOut, allow_none=True)  # a pending shadow -> live request
    explanations = fields.Dict(keys=fields.String(), values=fields.Nested(ExplanationOut), required=True, metadata={
        "description": "explained mismatches by field (as the parity report ranks it)"})
    created_by = _text()
    updated_by = _text()
    created_at = _text()
    updated_at = _text()
    decision = fields.Nested(CutoverDecisionOut, metadata={"description": "the answer to approving a cut-over"})


class RolloutScopePage(Open):
    items = fields.List(fields.Nested(RolloutScope), required=True)
    next_cursor = _text(required=True)


class ParityGate(Open):
    """The cut-over gate: parity at or above `threshold` percent over at least `min_volume` vehicles within the
    window, and no unexplained mismatch in a mandatory field; `reasons` says what fails."""

    threshold = fields.Float(required=True)
    min_volume = fields.Integer(required=True)
    window_days = fields.Integer(required=True)
    holds = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), required=True)


class RolloutScopeSummary(RolloutScope):
    """A scope with its parity report's summary (the rollout overview)."""

    volume = fields.Integer(required=True)
    matched = fields.Integer(required=True)
    parity_rate = fields.Float(allow_none=True, required=True)
    volume_7_days = fields.Integer(required=True)
    volume_30_days = fields.Integer(required=True)
    gate = fields.Nested(ParityGate, required=True)
    digest = fields.String(required=True)


class RolloutOverview(Open):
    scopes = fields.List(fields.Nested(RolloutScopeSummary), required=True)


class ParityExample(Open):
    vin = fields.String(required=True)
    path = fields.String(required=True)
    legacy = fields.Raw(allow_none=True, metadata={"description": "the legacy system's value (any JSON value)"})
    ecoc = fields.Raw(allow_none=True, metadata={"description": "ecoc's value (any JSON value)"})


class DifferingField(Open):
    """A field that differs, ranked by how many vehicles it differs in, with examples of exact paths."""

    field = fields.String(required=True)
    vehicles = fields.Integer(required=True)
    mandatory = fields.Boolean(required=True)
    examples = fields.List(fields.Nested(ParityExample), required=True)
    explained = fields.Nested(ExplanationOut, allow_none=True)


class LegacyFinding(Open):
    """A rule of ecoc the legacy documents break: a defect the old system let through."""

    rule = fields.String(required=True)
    severity = fields.String(required=True)
    message = _text()
    vehicles = fields.Integer(required=True)
    examples = fields.List(fields.String(), required=True)


class ExcludedField(Open):
    field = fields.String(required=True)
    why = fields.String(required=True)


class VinProblem(Open):
    vin = fields.String(required=True)
    problem = _text()


class TestSealed(Open):
    """Shadow mode: vehicles ecoc sealed with its test seal (nothing handed out), and where that failed."""

    sealed = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    examples = fields.List(fields.Nested(VinProblem), required=True)


class ParityReport(Open):
    scope_id = fields.String(required=True)
    entity = fields.String()
    name = fields.String()
    mode = fields.String(required=True)
    window_days = fields.Integer()
    volume = fields.Integer(required=True)
    matched = fields.Integer(required=True)
    parity_rate = fields.Float(allow_none=True, required=True)
    volume_7_days = fields.Integer()
    volume_30_days = fields.Integer()
    differing_fields = fields.List(fields.Nested(DifferingField), required=True)
    legacy_findings = fields.List(fields.Nested(LegacyFinding), required=True)
    excluded = fields.List(fields.Nested(ExcludedField), required=True)
    test_sealed = fields.Nested(TestSealed)
    gate = fields.Nested(ParityGate, required=True)
    digest = fields.String(required=True)
    generated_at = fields.String()


class LegacySigner(Open):
    organisation = _text()
    common_name = _text()
    fingerprint_sha256 = _text()


class LegacySeal(Open):
    """The legacy seal checked against its own embedded certificate: never trusted."""

    status = fields.String(required=True)  # intact | broken | absent | not_checked
    trusted = fields.Boolean(required=True)
    errors = fields.List(fields.String())
    signer = fields.Nested(LegacySigner, allow_none=True)


class ConversionEntry(Open):
    """A leaf of an IVI 1.11 message: where it went in IVI 2.0 (`to`), with the rule when it was recoded, or why
    it has no IVI 2.0 counterpart."""

    from_ = fields.String(data_key="from", required=True)
    to = fields.String()
    rule = _text()
    value_from = _text()
    value_to = fields.Raw(metadata={"description": "the IVI 2.0 value (any JSON value)"})
    value = _text()
    why = fields.String()


class ConversionReport(Open):
    """How an IVI 1.11 message was converted: every leaf in exactly one list."""

    mapped = fields.List(fields.Nested(ConversionEntry), required=True)
    transformed = fields.List(fields.Nested(ConversionEntry), required=True)
    unmapped = fields.List(fields.Nested(ConversionEntry), required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class LegacyDocumentOut(Open):
    """A legacy document received (its bytes: `GET /v1/rollout/legacy/{id}`), and what became of the file."""

    id = fields.String(required=True)
    vin = fields.String(required=True)
    format = fields.String(required=True)  # ivi2.0 | ivi1.11
    filename = _text()
    sha256 = fields.String(required=True)
    reference_id = _text()
    version_number = fields.Integer(allow_none=True)
    seal = fields.Nested(LegacySeal, required=True)
    conversion = fields.Nested(ConversionReport, allow_none=True, metadata={
        "description": "IVI 1.11: the report of its conversion into IVI 2.0 terms (null for IVI 2.0)"})
    findings = fields.List(fields.Nested(Finding))
    status = fields.String(required=True)  # legacy: never re-signed
    received_at = _text()
    file = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(("accepted", "unchanged")))


class FileRejection(Open):
    file = fields.String(required=True)
    errors = fields.List(fields.String(), required=True)


class LegacyOutcome(Open):
    accepted = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    documents = fields.List(fields.Nested(LegacyDocumentOut), required=True)
    rejected = fields.List(fields.Nested(FileRejection), required=True)


class EntityPage(Open):
    items = fields.List(fields.Nested(EntityOut), required=True)
    next_cursor = _text(required=True)


class ReleaseSummary(Open):
    """A release in the list: who asked, who reviewed and signed, when, and its vehicles counted by item state."""

    id = fields.String(required=True)
    entity = fields.String(required=True)
    status = fields.String(required=True)
    note = _text()
    requested_by = fields.String(required=True)
    requested_at = fields.String(required=True)
    reviewed_by = _text()
    reviewed_at = _text()
    rejection_reason = _text()
    signer = _text()
    sign_requested_at = _text()
    completed_at = _text()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class ReleasePage(Open):
    items = fields.List(fields.Nested(ReleaseSummary), required=True)
    next_cursor = _text(required=True)


class CertificateRefOut(Open):
    reference_id = _text()
    version_number = fields.Integer(allow_none=True)


class VehicleState(Open):
    vin = fields.String(required=True)
    status = fields.String(required=True)
    revision = fields.Integer(required=True)
    certificate = fields.Nested(CertificateRefOut, allow_none=True, required=True)


class VehicleStates(Open):
    items = fields.List(fields.Nested(VehicleState), required=True)
    unknown = fields.List(fields.String(), required=True, metadata={
        "description": "VINs that do not exist (or not for the caller)"})


class VehicleDeliveries(Open):
    vin = fields.String(required=True)
    items = fields.List(fields.Nested(DeliveryOut), required=True)
    next_cursor = _text(required=True)


class DeliveriesQueued(Open):
    queued = fields.List(fields.Nested(DeliveryOut), required=True)
    skipped = fields.List(fields.Nested(VinReason), required=True)


class CommentOut(Open):
    id = fields.String(required=True)
    vin = _text(required=True)
    release_id = _text(required=True)
    author = fields.String(required=True)
    body = fields.String(required=True)
    created_at = fields.String(required=True)


class CommentList(Open):
    items = fields.List(fields.Nested(CommentOut), required=True)


class ExceptionOut(Open):
    id = fields.String(required=True)
    entity = fields.String(required=True)
    rule = fields.String(required=True)
    vin = _text(required=True)
    approval_number = _text(required=True)
    approval_revision = fields.Integer(allow_none=True, required=True)
    reason = fields.String(required=True)
    expires_on = fields.String(required=True)
    requested_by = fields.String(required=True)
    requested_at = fields.String(required=True)
    decision = _text(required=True)
    decided_by = _text(required=True)
    decided_at = _text(required=True)
    decision_note = _text(required=True)
    state = fields.String(required=True, validate=validate.OneOf(["open", "accepted", "refused", "expired"]))


class ExceptionPage(Open):
    items = fields.List(fields.Nested(ExceptionOut), required=True)
    next_cursor = _text(required=True)


class TeamOut(Open):
    id = fields.String(required=True)
    entity = fields.String(required=True)
    name = fields.String(required=True)
    members = fields.List(fields.String(), required=True)
    groups = fields.List(fields.String(), required=True)
    updated_by = fields.String(required=True)
    updated_at = fields.String(required=True)


class TeamList(Open):
    items = fields.List(fields.Nested(TeamOut), required=True)


class OwnershipRuleOut(Open):
    id = fields.String(required=True)
    entity = fields.String(required=True)
    team_id = fields.String(required=True)
    field = fields.String(required=True)
    pattern = fields.String(required=True)
    position = fields.Integer(required=True)
    created_by = fields.String(required=True)
    created_at = fields.String(required=True)


class OwnershipRuleList(Open):
    items = fields.List(fields.Nested(OwnershipRuleOut), required=True)


class WorkItem(Open):
    kind = fields.String(required=True, validate=validate.OneOf(["vehicle", "release"]))
    id = fields.String(required=True)
    entity = fields.String(required=True)
    waiting_for = fields.String(required=True, validate=validate.OneOf(["correction", "review", "signing"]))
    since = fields.String(required=True)
    team_id = _text(required=True)
    team = _text(required=True)
    age_hours = fields.Integer(required=True)
    overdue = fields.Boolean(required=True)
    assignee = _text(required=True, metadata={"description": "who works on it (null: nobody yet)"})
    assigned_by = _text(required=True)
    assigned_at = _text(required=True)


class WorkAssignmentOut(Open):
    """Who works on a blocked vehicle or a waiting release; it ends when the item leaves the work list."""
    kind = fields.String(required=True, validate=validate.OneOf(["vehicle", "release"]))
    id = fields.String(required=True)
    entity = fields.String(required=True)
    team_id = _text(required=True, metadata={"description": "the owning team (null: no rule matches the item)"})
    assignee = fields.String(required=True)
    assigned_by = fields.String(required=True)
    assigned_at = fields.String(required=True)


class WorkList(Open):
    items = fields.List(fields.Nested(WorkItem), required=True)
    next_cursor = _text(required=True)


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
    parts = fields.Integer(required=True, metadata={
        "description": "ranges of the release's VINs rendered at once, then put together in VIN order"})
    parts_done = fields.Integer(required=True, metadata={"description": "parts rendered so far"})
