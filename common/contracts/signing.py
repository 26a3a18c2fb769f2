"""RPC payloads of the signing service."""
from marshmallow import RAISE, Schema, fields, validate

from common.contracts.events import VehicleRecord
from common.contracts.vehicles import SignatoryIn


class SignBatchIn(Schema):
    class Meta:
        unknown = RAISE

    release_id = fields.String(required=True, validate=validate.Length(1, 64))
    entity = fields.String(required=True, validate=validate.Length(1, 32))
    signatory = fields.Nested(SignatoryIn, required=True)
    vehicles = fields.List(fields.Nested(VehicleRecord), required=True, validate=validate.Length(1, 2000))
