"""RPC payloads of the approvals service: legal entities, type approvals, resolution."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from common.approval_number import parse_approval_number

CATEGORIES = ("M1", "M1G", "M1S", "M2", "M2G", "M3", "M3G", "N1", "N1G", "N2", "N2G", "N3", "N3G",
              "O1", "O2", "O3", "O4", "L1e", "L2e", "L3e", "L4e", "L5e", "L6e", "L7e")


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
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9_-]{2,32}$"))


class VersionIn(Strict):
    type = fields.String(required=True, validate=validate.Length(1, 15))
    variant = fields.String(required=True, validate=validate.Length(1, 25))
    version = fields.String(required=True, validate=validate.Length(1, 35))
    coc = fields.Dict(keys=fields.String(), load_default=dict)
    ranges = fields.Dict(keys=fields.String(), values=fields.Dict(), load_default=dict)


class ApprovalIn(Strict):
    number = fields.String(required=True)
    issue_date = fields.Date(required=True)
    approval_type = fields.String(required=True, validate=validate.OneOf(("EU", "ESS", "NSS")))
    provisional = fields.Boolean(load_default=False)
    entity = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    stage_of_completion = fields.String(required=True, validate=validate.OneOf(("C", "I", "V")))
    coc = fields.Dict(keys=fields.String(), load_default=dict)
    versions = fields.List(fields.Nested(VersionIn), required=True, validate=validate.Length(min=1))

    @validates("number")
    def _number(self, value, **_):
        try:
            parse_approval_number(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ResolveItem(Strict):
    number = fields.String(required=True)
    type = fields.String(required=True)
    variant = fields.String(required=True)
    version = fields.String(required=True)
    production_date = fields.Date(required=True)
