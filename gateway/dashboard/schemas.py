"""The dashboard's query parameters and answers, for checking requests and for /openapi.json."""
from marshmallow import INCLUDE, Schema, fields, pre_load, validate

from gateway.routes.filters import AgeFilter, WorkFilters
from services.vehicles.domain.releases import RELEASE_STATES


class Open(Schema):
    class Meta:
        unknown = INCLUDE


class FormQuery(Schema):
    """A page's query from its filter form, which sends a field left empty as `name=`: absent."""

    @pre_load
    def _empty_is_absent(self, data, **kwargs):
        return {k: v for k, v in data.items() if v != ""}


class PagedForm(FormQuery):
    """A list page's query: its filters, then `limit` and `cursor` (the next-page link's)."""
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(min=1, max=200))


class ReleasePageQuery(PagedForm):
    """The release page: a page of its vehicles in VIN order (`cursor`: the next-page link's)."""
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500),
                           metadata={"description": "vehicles of the release on the page"})
    cursor = fields.String(validate=validate.Length(min=1, max=17),
                           metadata={"description": "the next-page link's: the last VIN of the page before"})


class DashboardQuery(FormQuery):
    entity = fields.String(validate=validate.Length(min=1, max=32), metadata={"description": "one legal entity"})
    country = fields.String(validate=validate.Length(min=1, max=3),
                            metadata={"description": "one intended country of registration (Vienna code)"})
    blocked_limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200),
                                   metadata={"description": "blocked vehicles listed per entity (most recent first); the page "
                                                            "also shows at most this many waiting releases per entity"})


class StateCounts(Open):
    draft = fields.Integer(required=True)
    valid = fields.Integer(required=True)
    blocked = fields.Integer(required=True)
    in_review = fields.Integer(required=True)
    approved = fields.Integer(required=True)
    released = fields.Integer(required=True)
    withdrawn = fields.Integer(required=True)


class CountryCounts(Open):
    country = fields.String(required=True, allow_none=True,
                            metadata={"description": "null: the vehicles that name no intended country"})
    counts = fields.Nested(StateCounts, required=True)
    total = fields.Integer(required=True)


class LabelledFinding(Open):
    rule = fields.String(required=True)
    severity = fields.String(required=True)
    path = fields.String(allow_none=True)
    message = fields.String(required=True)
    item = fields.String(required=True, metadata={"description": "CoC item number of the field, if any"})
    label = fields.String(required=True, metadata={"description": "what the field is called on the CoC"})


class BlockedVehicle(Open):
    vin = fields.String(required=True)
    country = fields.String(required=True, allow_none=True)
    revision = fields.Integer(required=True)
    approval_number = fields.String(required=True)
    since = fields.String(required=True)
    findings = fields.List(fields.Nested(LabelledFinding), required=True,
                           metadata={"description": "the top findings, errors first"})
    finding_count = fields.Integer(required=True)
    coc_view = fields.String(required=True, metadata={"description": "the readable CoC page"})


class WaitingRelease(Open):
    id = fields.String(required=True)
    status = fields.String(required=True)
    waiting_for = fields.String(required=True, validate=validate.OneOf(["review", "signing"]))
    vehicles = fields.Integer(required=True)
    countries = fields.List(fields.String(), required=True)
    note = fields.String(allow_none=True)
    requested_by = fields.String(required=True)
    requested_at = fields.String(required=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    link = fields.String(required=True)


class SealStatus(Open):
    entity = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(
        ["valid", "expiring", "expired", "not_yet_valid", "unusable"]))
    not_before = fields.String()
    not_after = fields.String()
    days_left = fields.Integer()
    fingerprint = fields.String()
    current_certificates = fields.Integer()
    problem = fields.String()


class EntityDashboard(Open):
    entity = fields.String(required=True)
    counts = fields.Nested(StateCounts, required=True)
    total = fields.Integer(required=True)
    countries = fields.List(fields.Nested(CountryCounts), required=True)
    blocked = fields.List(fields.Nested(BlockedVehicle), required=True)
    releases = fields.List(fields.Nested(WaitingRelease), required=True)
    seal = fields.Nested(SealStatus, allow_none=True, required=True)


class DeliveryException(Open):
    vin = fields.String(required=True)
    version_number = fields.Integer(required=True)
    entity = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(["rejected", "failed"]))
    target = fields.String(required=True)
    owner = fields.String(allow_none=True, required=True)
    since = fields.String(allow_none=True)
    id = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    error_count = fields.Integer(required=True)
    coc_view = fields.String(required=True)


class Dashboard(Open):
    generated_at = fields.String(required=True)
    filters = fields.Dict(required=True, metadata={"description": "the filters applied: entity, country"})
    states = fields.List(fields.String(), required=True)
    entities = fields.List(fields.Nested(EntityDashboard), required=True)
    expiring_seals = fields.List(fields.Nested(SealStatus), required=True, metadata={
        "description": "seal certificates whose notAfter is within 30 days (or past): signing stops then"})
    delivery_exceptions = fields.List(fields.Nested(DeliveryException), required=True, metadata={
        "description": "certificates a National Access Point rejected, or that could not be delivered, and not "
                       "delivered since: each with its owner and the authority's first error"})


class CocLine(Open):
    item = fields.String(required=True)
    label = fields.String(required=True)
    name = fields.String(required=True)
    path = fields.String(required=True)
    value = fields.Raw()
    entries = fields.List(fields.List(fields.Dict(metadata={
        "description": "a line of the table's row, shaped as this CocLine (item, label, name, path, value)"})))


class CocView(Open):
    vin = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf(["certificate", "preview"]))
    certificate = fields.Dict(allow_none=True, required=True, metadata={
        "description": "the certificate shown (reference_id, version_number, sha256, status, signed_at), or null "
                       "for a preview"})
    numbered = fields.Boolean(required=True)
    header = fields.List(fields.Nested(CocLine), required=True)
    lines = fields.List(fields.Nested(CocLine), required=True)


class VehicleListQuery(PagedForm, WorkFilters):
    status = fields.String(load_default="valid", validate=validate.OneOf(
        ["draft", "valid", "blocked", "in_review", "approved", "released", "withdrawn"]))
    entity = fields.String(validate=validate.Length(min=1, max=32))
    approval_number = fields.String(validate=validate.Length(min=1, max=35))
    vin = fields.String(validate=validate.Length(min=1, max=17), metadata={"description": "find one vehicle"})


class ExceptionListQuery(PagedForm, AgeFilter):
    state = fields.String(validate=validate.OneOf(["open", "accepted", "refused", "expired"]))
    entity = fields.String(validate=validate.Length(min=1, max=32))
    vin = fields.String(validate=validate.Length(min=17, max=17))
    approval_number = fields.String(validate=validate.Length(min=1, max=35))


class WorkPageQuery(PagedForm, WorkFilters):
    mine = fields.Boolean(metadata={"description": "my work: of the teams I am a member of, and assigned to me"})
    assignee = fields.String(validate=validate.Length(min=1, max=200),
                             metadata={"description": "the work assigned to this `sub`, or `none`: to nobody"})
    approval_number = fields.String(validate=validate.Length(min=1, max=35),
                                    metadata={"description": "type-approval number; a release: its first vehicle's"})
    kind = fields.String(validate=validate.OneOf(["vehicle", "release"]),
                         metadata={"description": "only vehicles, or only releases"})
    done = fields.String(validate=validate.OneOf(["claimed", "assigned", "unassigned"]),
                         metadata={"description": "what the form just did (the page says so)"})


class TeamsPageQuery(Schema):
    done = fields.String(validate=validate.OneOf(["created", "changed", "rule-added", "rule-removed"]),
                         metadata={"description": "what the form just did (the page says so)"})


class ReleaseListQuery(PagedForm, WorkFilters):
    status = fields.String(load_default="in_review", validate=validate.OneOf(RELEASE_STATES),
                           metadata={"description": "releases in this state (in review: waiting for review; approved: "
                                                    "waiting for signing)"})
    entity = fields.String(validate=validate.Length(min=1, max=32))
    approval_number = fields.String(validate=validate.Length(min=1, max=35))
