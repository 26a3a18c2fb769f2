"""The composed CoC as an unsigned IVI 2.0 draft, checked against the relaxed official schema; and signed or
draft documents checked as they are.

The header is a fixed, syntactically valid one (the real one is made at signing) carrying the vehicle's
designated approval country and intended country of registration; the signing authority, added at
signing, is stood in for by a placeholder group.

Building the XML and running libxml2 costs 1-2 ms per vehicle. A batch therefore uses a `DraftSession`:
the schema runs once for each distinct (approval data, shape of the vehicle's own data); when that draft
was valid, another vehicle of the same shape differs only in its own leaf values, which are checked
against their simple types in Python (`leafcheck`). The IVI schema has no identity constraints, so a
document of a valid shape whose every leaf is valid is valid. Whenever Python cannot prove a value
valid, the schema runs for that vehicle, so every issue is still worded by the schema check.
"""
from dataclasses import dataclass

from common.ivi.errors import IviDataError
from common.ivi.writer import build_message, serialize
from common.ivi.xsd import SCHEMA_DOWNLOAD_HINT, SchemaValidator

from .approval_number import member_state_of
from .leafcheck import certainly_valid

DRAFT_HEADER = {
    "IviReferenceId": "00000000-0000-4000-8000-000000000000",
    "IviVersionNumberXsd": "2.0",
    "IviVersionNumber": 1,
    "IviVersionDateTime": "2026-07-05T00:00:00Z",
}
SIGNING_PLACEHOLDER = [{
    "SignerName": "DRAFT", "SignerPosition": "DRAFT", "SignatureLocation": "DRAFT",
    "SignatureDate": "2026-07-05",
}]
DOWNLOAD_HINT = SCHEMA_DOWNLOAD_HINT


@dataclass(frozen=True)
class DraftIssue:
    path: str  # IVI path below CocDataGroup ("Header.…" for the header, "" for the document)
    message: str
    raw: str
    line: int | None = None

    def as_dict(self):
        return {"path": self.path, "line": self.line, "message": self.message, "raw": self.raw}


class DraftChecker:
    """Builds and validates drafts; validates documents as they are."""

    def __init__(self, validator: SchemaValidator):
        self.validator = validator
        self.schema = validator.ivi_schema
        self.xsd_path = validator.xsd_path

    @classmethod
    def from_path(cls, xsd_path):
        return cls(SchemaValidator(xsd_path))

    def session(self):
        """A checker for one batch, remembering which draft shapes were valid."""
        return DraftSession(self)

    def draft(self, coc, approval_number, intended_country=None):
        header = dict(DRAFT_HEADER, DesignatedTypeApprovalCountry=member_state_of(approval_number))
        if intended_country:
            header["IntendedCountryRegistration"] = intended_country
        body = dict(coc)
        if not body.get("SigningAuthorityTable"):
            body["SigningAuthorityTable"] = SIGNING_PLACEHOLDER
        return serialize(build_message(self.schema, header, body))

    def check(self, coc, approval_number, intended_country=None) -> list:
        try:
            document = self.draft(coc, approval_number, intended_country)
        except IviDataError as exc:
            return [DraftIssue(_relative(exc.path or ""), f"{exc.path}: {exc.message}" if exc.path else exc.message,
                               str(exc))]
        except ValueError as exc:  # lxml refuses text that XML cannot hold (control characters)
            return [DraftIssue("", f"The data holds characters XML cannot carry: {exc}.", str(exc))]
        return [_issue(i) for i in self.validator.validate_draft(document)]

    def check_context(self, ctx) -> list:
        return self.check(ctx.coc, _number(ctx), ctx.country)

    def check_document(self, xml_bytes, draft=False) -> list:
        """Issues of a whole IVI document: the full schema (signature required) unless `draft`."""
        issues = self.validator.validate_draft(xml_bytes) if draft else self.validator.validate_signed(xml_bytes)
        return [_issue(i) for i in issues]


class DraftSession:
    """The schema check of one batch of vehicles (not shared between threads)."""

    def __init__(self, checker):
        self.checker = checker
        self._valid_shapes = {}  # key -> the approval data it was proven with (kept alive: a key may hold its id)
        self.schema_runs = 0
        self.proven = 0

    def check_context(self, ctx):
        type_level = ctx.resolution.get("coc") or {}
        vehicle = ctx.vehicle
        if vehicle.get("previous_stages"):  # earlier stages' data joins the document: judge it whole
            self.schema_runs += 1
            return self.checker.check_context(ctx)
        key = (_approval_data(ctx.resolution, type_level), _number(ctx), ctx.country is not None,
               bool(vehicle.get("production_date")), _shape(vehicle.get("coc") or {}))
        if key in self._valid_shapes and self._values_valid(ctx, self._valid_shapes[key]):
            self.proven += 1
            return []
        self.schema_runs += 1
        issues = self.checker.check_context(ctx)
        if not issues:
            self._valid_shapes[key] = (type_level, vehicle.get("coc") or {})
        return issues

    def _values_valid(self, ctx, proven):
        schema = self.checker.schema
        vehicle = ctx.vehicle
        header = schema.header
        if ctx.country and not certainly_valid(ctx.country, header.child("IntendedCountryRegistration").simple):
            return False
        if not certainly_valid(vehicle.get("vin"), schema.coc.child("VehicleIdentificationNumber").simple):
            return False
        date = vehicle.get("production_date")
        if date and not certainly_valid(date, schema.coc.child("DateManufactureVehicle").simple):
            return False
        return _leaves_valid(vehicle.get("coc") or {}, schema.coc, proven[1])


def _leaves_valid(data, definition, proven):
    """Every leaf of `data` certainly valid; a part identical to the proven vehicle's (same shape, valid
    document) needs no second look."""
    for name, value in data.items():
        child = definition.child(name)
        if child is None:
            return False
        if value is None or value == "":
            continue
        before = proven.get(name) if isinstance(proven, dict) else None
        if _same(value, before):
            continue
        if child.kind == "leaf":
            if not certainly_valid(value, child.simple):
                return False
        elif child.kind == "group":
            if not isinstance(value, dict) or not _leaves_valid(value, child, before):
                return False
        else:
            if not isinstance(value, list):
                return False
            row = child.row
            earlier = before if isinstance(before, list) and len(before) == len(value) else [None] * len(value)
            for item, was in zip(value, earlier):
                if not isinstance(item, dict) or not _leaves_valid(item, row, was):
                    return False
    return True


def _same(a, b):
    """Equal, and of the same JSON types all the way down (1 and True are equal in Python, not in XML)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _approval_data(resolution, type_level):
    """What identifies the approval data of a resolution: the approval revision and version it was built from
    (one approval revision gives one version the same data on every production day), else the object itself."""
    if resolution.get("approval_id") and resolution.get("revision") is not None:
        return (resolution["approval_id"], resolution["revision"], type_level.get("Type"), type_level.get("Variant"),
                type_level.get("Version"))
    return id(type_level)


def _shape(value):
    """What decides the structure of the written document: keys, table lengths, empty or not."""
    if isinstance(value, dict):
        return tuple(sorted((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", tuple(_shape(v) for v in value))
    return "" if value is None or value == "" else "."


def _number(ctx):
    return ctx.resolution.get("number") or ctx.vehicle.get("approval_number")


def _issue(issue):
    return DraftIssue(_relative(issue.path), issue.message, issue.raw, issue.line)


def _relative(path):
    return path[len("CocDataGroup."):] if path.startswith("CocDataGroup.") else path

