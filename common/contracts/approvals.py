"""RPC payloads of the approvals service: legal entities, type approvals, extensions, withdrawal, resolution.

The IVI data inside them (`coc`, `ranges`, the category code) is judged against the official schema
by the service (`common.ivi.document`), not here."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from common import entity_code
from common.contracts.coc import CocField
from common.approval_number import parse_approval_number

class Strict(Schema):
    class Meta:
        unknown = RAISE


class Address(Strict):
    line1 = fields.String(required=True, validate=validate.Length(1, 150))
    line2 = fields.String(validate=validate.Length(1, 150))
    place = fields.String(required=True, validate=validate.Length(1, 150))
    country = fields.String(required=True, validate=validate.Length(1, 50))


class Signatory(Strict):
    sub = fields.String(required=True, validate=validate.Length(1, 200))
    name = fields.String(required=True, validate=validate.Length(1, 150))
    position = fields.String(required=True, validate=validate.Length(1, 150))
    location = fields.String(required=True, validate=validate.Length(1, 150))


class EntityBody(Strict):
    """A legal entity as PUT at /v1/entities/{code}."""

    legal_name = fields.String(required=True, validate=validate.Length(1, 150))
    role = fields.String(required=True, validate=validate.OneOf(("manufacturer", "eu_representative")))
    address = fields.Nested(Address, required=True)
    wmis = fields.List(fields.String(validate=validate.Regexp(r"^[A-HJ-NPR-Z0-9]{3}$")), load_default=list)
    signatories = fields.List(fields.Nested(Signatory), load_default=list)
    seal_certificate = fields.String(allow_none=True, load_default=None)


class EntityIn(EntityBody):
    code = fields.String(required=True, validate=validate.Regexp(entity_code.PATTERN, error=entity_code.MESSAGE))


class VersionKey(Strict):
    type = fields.String(required=True, validate=validate.Length(1, 15))
    variant = fields.String(required=True, validate=validate.Length(1, 25))
    version = fields.String(required=True, validate=validate.Length(1, 35))


class VersionIn(VersionKey):
    """A version with its own type-level CoC data (merged over the approval's) and approved ranges
    `{ivi_path: {"min": n, "max": n}}`, e.g. `{"MassGroup.MassInRunningOrder": {"min": 1860, "max": 1960}}`."""

    coc = CocField(load_default=dict)
    ranges = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict, metadata={
        "description": "approved ranges by IVI path: `{path: {min, max}}`"})


class ApprovalIn(Strict):
    number = fields.String(required=True)
    issue_date = fields.Date(required=True)
    approval_type = fields.String(required=True, validate=validate.OneOf(("EU", "ESS", "NSS")))
    provisional = fields.Boolean(load_default=False)
    entity = fields.String(required=True)
    category = fields.String(required=True, validate=validate.Length(1, 10))
    stage_of_completion = fields.String(required=True, validate=validate.OneOf(("C", "I", "V")))
    coc = CocField(load_default=dict)
    versions = fields.List(fields.Nested(VersionIn), required=True, validate=validate.Length(min=1))

    @validates("number")
    def _number(self, value, **_):
        try:
            parse_approval_number(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ExtensionIn(Strict):
    """A new extension: `coc` changes merge into the approval-level data (null removes an element),
    `versions` replace or add whole versions, `removed_versions` drop some."""

    extension = fields.Integer(required=True, strict=True, validate=validate.Range(1, 99))
    issue_date = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 2000))
    coc = CocField(load_default=dict)
    versions = fields.List(fields.Nested(VersionIn), load_default=list)
    removed_versions = fields.List(fields.Nested(VersionKey), load_default=list)


class WithdrawalIn(Strict):
    effective_date = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class ResolveItem(Strict):
    entity = fields.String(required=True)  # the vehicle's legal entity: approvals of others are never resolved
    number = fields.String(required=True)
    type = fields.String(required=True)
    variant = fields.String(required=True)
    version = fields.String(required=True)
    production_date = fields.Date(required=True)
    revision = fields.Integer(strict=True, validate=validate.Range(min=1), load_default=None)  # pinned by a release
