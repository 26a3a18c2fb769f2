"""The field that holds IVI-shaped CoC data in a request or an answer.

A plain dict to marshmallow (the service judges the data against the official schema and names each field
it refuses); the OpenAPI document makes it a reference to `CocData`, the schema generated from the IVI 2.0
XSD (`common.ivi.json_schema`), so a client generator knows its shape."""
from marshmallow import fields


class CocField(fields.Dict):
    def __init__(self, **kwargs):
        kwargs.setdefault("keys", fields.String())
        super().__init__(**kwargs)
