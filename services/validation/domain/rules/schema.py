"""The composed CoC written as an IVI 2.0 draft and checked against the official schema."""
import re

from ..draft import DOWNLOAD_HINT
from ..engine import Rule
from ..findings import ERROR, WARNING, Problem

MISSING_CHILD = "Missing child element(s)."
_INDEX = re.compile(r"\[\d+\]")


def _plain(path):
    """`AxleTable[0].AxleNumber` and `AxleTable.AxleGroup.AxleNumber` both as `AxleTable.AxleNumber`."""
    steps = _INDEX.sub("", path).split(".")
    return ".".join(
        s for i, s in enumerate(steps)
        if not (i and steps[i - 1].endswith("Table") and s == steps[i - 1][:-len("Table")] + "Group")
    )


def schema_configured(ctx):
    if ctx.draft_checker is None:
        yield Problem("ECOC_IVI_SCHEMA pointing at IVI2.0.xsd", "not configured", hint=DOWNLOAD_HINT)


def schema_valid(ctx):
    reported = [_plain(p) for p in ctx.missing_mandatory]  # IVI-001 already names these; do not repeat
    for issue in ctx.draft_checker.check_context(ctx):
        if MISSING_CHILD in issue.raw and _already_reported(issue.path, reported):
            continue
        yield Problem("a value the IVI 2.0 schema accepts", issue.raw, path=issue.path,
                      message=_with_path(issue.message, issue.path))


def _with_path(message, path):
    """`AxleNumber: the value ...` -> `AxleTable[1].AxleNumber: the value ...` (which axle, not just which field)."""
    leaf = path.rsplit(".", 1)[-1]
    if path and path != leaf and message.startswith(leaf + ":"):
        return path + message[len(leaf):]
    return message


def _already_reported(path, reported):
    plain = _plain(path)
    return any(p == plain or p.startswith(plain + ".") for p in reported)


RULES = [
    Rule("XSD-000", WARNING, "InitialVehicleInformation",
         "The IVI 2.0 schema is configured, so schema checks run.", schema_configured,
         message="Schema checks are off: no IVI 2.0 schema is configured, so the certificate data is not checked "
                 "against the official XSD. {hint}"),
    Rule("XSD-001", ERROR, "InitialVehicleInformation",
         "The composed CoC, with a draft header and signing authority, validates against the IVI 2.0 schema "
         "(signature optional), its header carrying the designated and intended countries. Each schema error is "
         "given as a sentence at its IVI path, with the raw schema message as `found`. Within a batch the schema "
         "runs once per shape of data; values of further vehicles of that shape are checked against their types. Not "
         "run on a malformed VIN: VIN-001 names that.",
         schema_valid, requires=("VIN-001", "APR-002", "XSD-000"), message="{found}"),
]
