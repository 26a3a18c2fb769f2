"""RPC and event payloads of the vehicles service."""
from marshmallow import RAISE, Schema, fields, validate

VIN_SYNTAX = validate.Regexp(r"^[A-Z0-9]{17}$", error="must be 17 characters A-Z or 0-9")


class Strict(Schema):
    class Meta:
        unknown = RAISE


class VehicleIn(Strict):
    vin = fields.String(required=True, validate=VIN_SYNTAX)
    approval_number = fields.String(required=True, validate=validate.Length(1, 35))
    type = fields.String(required=True, validate=validate.Length(1, 15))
    variant = fields.String(required=True, validate=validate.Length(1, 25))
    version = fields.String(required=True, validate=validate.Length(1, 35))
    production_date = fields.Date(required=True)
    intended_country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{1,3}$"))
    entity = fields.String(required=True, validate=validate.Length(1, 32))
    coc = fields.Dict(keys=fields.String(), load_default=dict)


class ImportIn(Strict):
    vehicles = fields.List(fields.Raw(), required=True, validate=validate.Length(1, 10000))


class ReleaseIn(Strict):
    vins = fields.List(fields.String(), required=True, validate=validate.Length(1, 10000))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RejectIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(1, 2000))


class SignatoryIn(Strict):
    sub = fields.String(required=True)
    name = fields.String(required=True)
    position = fields.String(required=True)
    location = fields.String(required=True)
