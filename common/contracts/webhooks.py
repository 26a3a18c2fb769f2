"""RPC payloads of the webhooks service: a subscription as created and as changed."""
from marshmallow import RAISE, Schema, fields, validate

EVENT_TYPES = validate.Length(1, 50)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class WebhookIn(Strict):
    """POST /v1/webhooks: where to deliver which events of one entity."""

    entity = fields.String(required=True, validate=validate.Length(1, 32),
                           metadata={"description": "the legal entity whose events are delivered"})
    url = fields.String(required=True, validate=validate.Length(1, 2000),
                        metadata={"description": "the receiver: an https URL"})
    event_types = fields.List(fields.String(validate=validate.Length(1, 80)), allow_none=True, load_default=None,
                              validate=EVENT_TYPES,
                              metadata={"description": "deliver only these event types (null: every type)"})
    description = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class WebhookPatch(Strict):
    """PATCH /v1/webhooks/{id}: what to change; `active: true` enables a disabled webhook again."""

    url = fields.String(validate=validate.Length(1, 2000))
    event_types = fields.List(fields.String(validate=validate.Length(1, 80)), allow_none=True, validate=EVENT_TYPES)
    description = fields.String(allow_none=True, validate=validate.Length(max=500))
    active = fields.Boolean()
