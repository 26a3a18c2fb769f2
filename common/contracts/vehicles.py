"""RPC and event payloads of the vehicles service."""
from marshmallow import RAISE, Schema, fields, validate
from nameko.exceptions import deserialize_to_instance

from common.contracts.coc import CocField
from common.errors import Conflict

VIN_SYNTAX = validate.Regexp(r"^[A-Z0-9]{17}$", error="must be 17 characters A-Z or 0-9")
COUNTRY = validate.Regexp(r"^[A-Z]{1,3}$", error="must be a Vienna country code of 1-3 capital letters, e.g. B, NL, D")
REASON = validate.Length(1, 2000)
MAX_IMPORT = 10000


class Strict(Schema):
    class Meta:
        unknown = RAISE


class VehicleIn(Strict):
    vin = fields.String(required=True, validate=VIN_SYNTAX)
    approval_number = fields.String(required=True, validate=validate.Length(1, 35))
    type = fields.String(required=True, validate=validate.Length(1, 15))
    variant = fields.String(required=True, validate=validate.Length(1, 25))
    version = fields.String(required=True, validate=validate.Length(1, 35))
    # both optional as in IVI 2.0: the L-category CoC has no date of manufacture, the header may name no country;
    # validation names the date where the vehicle's category needs it (rule DAT-003)
    production_date = fields.Date(load_default=None, metadata={
        "description": "date of manufacture (0.11); required by validation except for L-category vehicles"})
    intended_country = fields.String(load_default=None, validate=COUNTRY, metadata={
        "description": "intended country of registration (Vienna code); optional, the regional rules need it"})
    entity = fields.String(required=True, validate=validate.Length(1, 32))
    coc = CocField(load_default=dict)


class ImportIn(Strict):
    # each row is checked on its own (a bad row is rejected, the others imported): typed for the contract only
    vehicles = fields.List(fields.Raw(metadata={"allOf": [{"$ref": "#/components/schemas/VehicleIn"}]}),
                           required=True, validate=validate.Length(1, MAX_IMPORT))
    reason = fields.String(load_default=None, validate=REASON)
    replace = fields.Boolean(load_default=False, metadata={
        "description": "overwrite vehicles changed by PATCH or a correction since their import (else each such "
                       "row is rejected as a conflict)"})


class VehiclePatch(Strict):
    """PATCH /v1/vehicles/{vin}: `coc` is a JSON merge patch (RFC 7396) of the vehicle-level data."""

    coc = CocField()
    production_date = fields.Date()
    intended_country = fields.String(validate=COUNTRY)
    reason = fields.String(required=True, validate=REASON)


class CorrectionIn(VehiclePatch):
    """POST /v1/vehicles/{vin}/corrections: a released vehicle's data corrected (coc merge patch as in PATCH)."""

    coc = CocField(required=True)


class VehicleWithdrawalIn(Strict):
    reason = fields.String(required=True, validate=REASON)


class VehicleDeletionIn(Strict):
    """DELETE /v1/vehicles/{vin}: why (kept in the audit trail)."""

    reason = fields.String(load_default=None, validate=REASON)


class FromIviParams(Strict):
    """The query of POST /v1/vehicles/from-ivi."""

    entity = fields.String(required=True, validate=validate.Length(1, 32))
    production_date = fields.Date(metadata={
        "description": "the date of manufacture where the message has none (optional: L-category CoCs have none)"})
    intended_country = fields.String(validate=COUNTRY, metadata={
        "description": "the intended country where the message's header names none (optional)"})
    stage = fields.String(validate=validate.OneOf(("base",)))
    reason = fields.String(validate=REASON)
    replace = fields.Boolean(load_default=False, metadata={
        "description": "overwrite a vehicle changed by PATCH or a correction since its import"})


class ReleaseIn(Strict):
    vins = fields.List(fields.String(), required=True, validate=validate.Length(1, MAX_IMPORT))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class VinsIn(Strict):
    """POST /v1/vehicles/status: the VINs whose state is asked."""

    vins = fields.List(fields.String(validate=validate.Length(1, 64)), required=True,
                       validate=validate.Length(1, MAX_IMPORT))


def _name():
    """A member's `sub` or a group's name."""
    return fields.String(validate=validate.Length(1, 200))


class TeamIn(Strict):
    entity = fields.String(required=True, validate=validate.Length(1, 32))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    members = fields.List(_name(), required=True, validate=validate.Length(max=500),
                          metadata={"description": "members by `sub`"})
    groups = fields.List(_name(), load_default=None, validate=validate.Length(max=100), metadata={
        "description": "OIDC groups whose people are members (the token's groups claim); absent: unchanged"})


class TeamChangeIn(Strict):
    """PATCH /v1/teams/{team_id}: members and groups added or removed (a name both added and removed is removed)."""
    add_members = fields.List(_name(), load_default=list, validate=validate.Length(max=500))
    remove_members = fields.List(_name(), load_default=list, validate=validate.Length(max=500))
    add_groups = fields.List(_name(), load_default=list, validate=validate.Length(max=100))
    remove_groups = fields.List(_name(), load_default=list, validate=validate.Length(max=100))


class AssigneeIn(Strict):
    """PUT .../assignee: who works on the item (the caller's own `sub` claims it)."""
    assignee = fields.String(required=True, validate=validate.Length(1, 200))


class OwnershipRuleIn(Strict):
    team_id = fields.String(required=True, validate=validate.Length(36, 36))
    field = fields.String(required=True, metadata={
        "description": "approval_number, type, variant, wmi, vin_pattern, intended_country or category"})
    pattern = fields.String(required=True, validate=validate.Length(1, 64))
    position = fields.Integer(load_default=100, validate=validate.Range(0, 10000),
                              metadata={"description": "rules are tried by position, lowest first"})


class CommentIn(Strict):
    body = fields.String(required=True, validate=validate.Length(1, 4000))


class RejectIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class SignatoryIn(Strict):
    sub = fields.String(required=True)
    name = fields.String(required=True)
    position = fields.String(required=True)
    location = fields.String(required=True)


# CSV import: one vehicle a row, a header row naming the columns (comma or semicolon separated, UTF-8).
# (column, IVI path below CocDataGroup or None for a record field, description)
CSV_COLUMNS = (
    ("vin", None, "VIN (0.10), 17 characters A-Z/0-9 — required"),
    ("approval_number", None, "type-approval number, e.g. e6*2018/858*00264*01 — required"),
    ("type", None, "type (0.2) — required"),
    ("variant", None, "variant (0.2) — required"),
    ("version", None, "version (0.2) — required"),
    ("production_date", None, "date of manufacture (0.11), YYYY-MM-DD — needed except for L-category vehicles"),
    ("intended_country", None, "intended country of registration, Vienna code (B, NL, D, …)"),
    ("entity", None, "legal-entity code — required"),
    ("actual_mass", "MassGroup.ActualMass", "actual mass in kg (13.2)"),
    ("colour", "ColourTable[0].Colour", "colour code (38/40)"),
    ("second_colour", "ColourTable[1].Colour", "second colour code of a multi-coloured vehicle"),
    ("small_series_year", "ProductionYearSmallSeries", "small series: production year"),
    ("small_series_number", "ProductionSequentialNumberSmallSeries", "small series: sequential number"),
    ("wltp_test_mass", "WltpEmissionTestParametersGroup.WltpEmissionTestMass", "WLTP test mass in kg (47)"),
    ("wltp_frontal_area", "WltpEmissionTestParametersGroup.WltpFrontalArea", "WLTP frontal area in m² (47)"),
    ("wltp_f0", "WltpEmissionTestParametersGroup.WltpRoadLoadCoefficientF0", "WLTP road load f0 in N (47)"),
    ("wltp_f1", "WltpEmissionTestParametersGroup.WltpRoadLoadCoefficientF1", "WLTP road load f1 in N/(km/h)"),
    ("wltp_f2", "WltpEmissionTestParametersGroup.WltpRoadLoadCoefficientF2", "WLTP road load f2 in N/(km/h)²"),
)


@deserialize_to_instance
class PreconditionFailed(Conflict):
    """If-Match named a revision that is no longer the vehicle's current one."""

    status = 412
    title = "Precondition failed"


def csv_columns_description():
    """The CSV columns as the OpenAPI description of the import route says them."""
    rows = "; ".join(f"`{name}`" + (f" → {path}" if path else "") + f": {text}" for name, path, text in CSV_COLUMNS)
    return (f"JSON `{{vehicles: [...], reason?}}` or `Content-Type: text/csv` (UTF-8, comma or semicolon separated, "
            f"`?reason=`), at most {MAX_IMPORT} vehicles. CSV: a header row naming the columns, one vehicle a row; "
            f"empty cells are absent values. Columns: {rows}. Every row is accounted for: accepted, unchanged "
            "(identical to the stored revision) or rejected with {index, vin, errors: [{field, message}]} — CSV "
            "rejections also carry `row` (the line in the file) and name the column as `field`.")
