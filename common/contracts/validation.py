"""Inputs of the validation service's exceptions register (API bodies and RPC payloads alike)."""
from marshmallow import RAISE, Schema, fields, validate


class Strict(Schema):
    class Meta:
        unknown = RAISE


class ExceptionIn(Strict):
    rule = fields.String(required=True, validate=validate.Length(1, 64))
    vin = fields.String(load_default=None, allow_none=True, validate=validate.Length(17, 17))
    entity = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 32),
                           metadata={"description": "the legal entity of an approval-wide exception"})
    approval_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))
    approval_revision = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    reason = fields.String(required=True, validate=validate.Length(1, 2000))
    expires_on = fields.Date(required=True, metadata={"description": "the day it stops applying"})


class DecisionIn(Strict):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
