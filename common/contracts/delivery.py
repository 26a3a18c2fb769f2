"""Inputs of the delivery service: NAP targets and manual deliveries."""
from marshmallow import RAISE, Schema, fields, validate

PROFILES = ("soap11-embedded", "wsdl")
MAX_CONCURRENCY = 64
REFERENCE = validate.Length(1, 500)


class TargetIn(Schema):
    """A NAP target of an entity (`PUT /v1/delivery-targets/{entity}/{name}`)."""

    class Meta:
        unknown = RAISE

    endpoint = fields.String(required=True, validate=validate.Length(1, 2000),
                             metadata={"description": "the NAP's SOAP endpoint (https://)"})
    profile = fields.String(load_default="soap11-embedded", validate=validate.OneOf(PROFILES),
                            metadata={"description": "soap11-embedded (default) or wsdl (driven by `wsdl` with zeep)"})
    wsdl = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 2000),
                         metadata={"description": "the WSDL URL the member state publishes (profile wsdl)"})
    country = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^[A-Z]{1,3}$"),
                            metadata={"description": "intended country of registration (Vienna code) this target "
                                                     "serves; absent: the entity's default target"})
    client_cert = fields.String(required=True, validate=REFERENCE,
                                metadata={"description": "file of the entity's TLS client certificate (PEM) in "
                                                         "ECOC_DELIVERY_CREDENTIALS_DIR"})
    client_key = fields.String(required=True, validate=REFERENCE,
                               metadata={"description": "file of its private key (PEM), same rule"})
    ca_cert = fields.String(load_default=None, allow_none=True, validate=REFERENCE,
                            metadata={"description": "file of the CA that signed the NAP's server certificate "
                                                     "(absent: the system's CAs)"})
    timeout_seconds = fields.Float(load_default=30.0, validate=validate.Range(0.5, 600))
    concurrency = fields.Integer(load_default=4, strict=True, validate=validate.Range(1, MAX_CONCURRENCY),
                                 metadata={"description": "messages in flight at once to this target"})
    auto_deliver = fields.Boolean(load_default=True, metadata={
        "description": "queue the entity's released certificates automatically"})
    enabled = fields.Boolean(load_default=True, metadata={"description": "false: nothing is sent (queued ones wait)"})


class DeliverIn(Schema):
    """Deliver the current certificates of VINs (`POST /v1/deliveries`)."""

    class Meta:
        unknown = RAISE

    vins = fields.List(fields.String(validate=validate.Length(1, 17)), required=True,
                       validate=validate.Length(1, 1000))
    target = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64),
                           metadata={"description": "the target's name (default: by the certificate's intended "
                                                    "country, else the entity's default target)"})
