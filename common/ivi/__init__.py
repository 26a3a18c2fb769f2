"""IVI 2.0 (eCoC) documents as IVI-shaped JSON, driven by the official schema.

- `schema`    — the XSD read as data: element definitions, kinds, occurrences, leaf facets.
- `values`    — leaf text <-> JSON value (the numeric representation is documented there).
- `reader`    — untrusted XML -> `{"header": {...}, "coc": {...}}`.
- `writer`    — JSON -> `InitialVehicleInformation` in schema order; `serialize` -> bytes.
- `xsd`       — validation against the official XSD, signed or draft, as `SchemaIssue`s.
- `catalogue` — mandatory paths, vehicle-level paths, split/merge of type and vehicle level.
"""
from .catalogue import MANDATORY_PATHS, VEHICLE_LEVEL_PATHS, merge_levels, missing_mandatory, split_levels
from .errors import IviDataError, IviFormatError
from .reader import parse_untrusted, read_ivi
from .schema import DS_NS, IVI_NS, ElementDef, IviSchema, SimpleType, load_schema
from .values import to_decimal
from .writer import build_coc, build_message, serialize
from .xsd import (
    SchemaIssue,
    SchemaUnavailableError,
    SchemaValidator,
    schema_available,
    schema_missing_message,
)

__all__ = [
    "DS_NS",
    "IVI_NS",
    "MANDATORY_PATHS",
    "VEHICLE_LEVEL_PATHS",
    "ElementDef",
    "IviDataError",
    "IviFormatError",
    "IviSchema",
    "SchemaIssue",
    "SchemaUnavailableError",
    "SchemaValidator",
    "SimpleType",
    "build_coc",
    "build_message",
    "load_schema",
    "merge_levels",
    "missing_mandatory",
    "parse_untrusted",
    "read_ivi",
    "schema_available",
    "schema_missing_message",
    "serialize",
    "split_levels",
    "to_decimal",
]
