"""The vehicle records this service judges (RPC `validate_batch` and the `vehicle_changed` event).

Only what is needed to store a report is strict (vin, revision); everything else is judged by the
rules, so a wrong value becomes a finding, not a rejected request. Unknown keys are kept (tolerant reader).
"""
from marshmallow import INCLUDE, Schema, fields, validate


class VehicleIn(Schema):
    class Meta:
        unknown = INCLUDE

    vin = fields.String(required=True, validate=validate.Length(1, 64))
    revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    entity = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=32))
    approval_number = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64))
    type = fields.String(allow_none=True, load_default=None)
    variant = fields.String(allow_none=True, load_default=None)
    version = fields.String(allow_none=True, load_default=None)
    production_date = fields.String(allow_none=True, load_default=None)  # ISO date; judged by the rules
    intended_country = fields.String(allow_none=True, load_default=None)
    coc = fields.Dict(keys=fields.String(), allow_none=True, load_default=dict)
