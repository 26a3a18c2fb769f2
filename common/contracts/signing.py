"""RPC payloads of the signing service."""
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from common.contracts.events import VehicleRecord
from common.contracts.vehicles import SignatoryIn

PAPER_LANGUAGES = ("en", "de", "fr")  # the wording files of services/signing/paper/wording (a unit test checks)


class SignBatchIn(Schema):
    class Meta:
        unknown = RAISE

    release_id = fields.String(required=True, validate=validate.Length(1, 64))
    entity = fields.String(required=True, validate=validate.Length(1, 32))
    signatory = fields.Nested(SignatoryIn, required=True)
    vehicles = fields.List(fields.Nested(VehicleRecord), required=True, validate=validate.Length(1, 2000))


class PaperMarginsIn(Schema):
    class Meta:
        unknown = RAISE

    top = fields.Float(validate=validate.Range(0, 60), metadata={"description": "mm"})
    right = fields.Float(validate=validate.Range(0, 60), metadata={"description": "mm"})
    bottom = fields.Float(validate=validate.Range(0, 60), metadata={"description": "mm"})
    left = fields.Float(validate=validate.Range(0, 60), metadata={"description": "mm"})


def _svg(value):
    head = value.lstrip()[:200]
    if not (head.startswith("<svg") or (head.startswith("<?xml") and "<svg" in value[:2000])):
        raise ValidationError("must be an SVG document (<svg ...>)")


class PaperLayoutIn(Schema):
    """An entity's print settings for its paper CoCs."""

    class Meta:
        unknown = RAISE

    margins = fields.Nested(PaperMarginsIn, metadata={
        "description": "page margins in mm that keep the text inside the security paper's pre-printed frame"})
    background_svg = fields.String(allow_none=True, validate=[validate.Length(1, 512 * 1024), _svg], metadata={
        "description": "a background layer drawn under the whole A4 page (an SVG document; it may use data: "
                       "images only, nothing is fetched); null for pre-printed security paper"})
    watermark = fields.String(allow_none=True, validate=validate.Length(1, 60),
                              metadata={"description": "a text printed faintly across every page"})
    language = fields.String(validate=validate.OneOf(PAPER_LANGUAGES),
                             metadata={"description": "language of the model's wording"})
    pades = fields.Boolean(metadata={"description": "seal every paper CoC PDF as PAdES with the entity's seal"})
