"""The composed CoC as an unsigned IVI 2.0 draft, checked against the relaxed official schema.

The header is a fixed, syntactically valid one (the real one is made at signing); the signing
authority, added at signing, is stood in for by a placeholder group.
"""
from dataclasses import dataclass

from common.approval_number import parse_approval_number
from common.ivi.errors import IviDataError
from common.ivi.writer import build_message, serialize
from common.ivi.xsd import SCHEMA_DOWNLOAD_HINT, SchemaValidator

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
    path: str  # IVI path below CocDataGroup ("Header." for the header, "" for the document)
    message: str
    raw: str


class DraftChecker:
    """Builds and validates drafts."""

    def __init__(self, validator: SchemaValidator):
        self.validator = validator
        self.schema = validator.ivi_schema
        self.xsd_path = validator.xsd_path

    @classmethod
    def from_path(cls, xsd_path):
        return cls(SchemaValidator(xsd_path))

    def draft(self, coc, approval_number):
        header = dict(DRAFT_HEADER, DesignatedTypeApprovalCountry=parse_approval_number(approval_number).member_state)
        body = dict(coc)
        if not body.get("SigningAuthorityTable"):
            body["SigningAuthorityTable"] = SIGNING_PLACEHOLDER
        return serialize(build_message(self.schema, header, body))

    def check(self, coc, approval_number) -> list:
        try:
            document = self.draft(coc, approval_number)
        except IviDataError as exc:
            return [DraftIssue(_relative(exc.path or ""), f"{exc.path}: {exc.message}" if exc.path else exc.message,
                               str(exc))]
        issues = self.validator.validate_draft(document)
        return [DraftIssue(_relative(i.path), i.message, i.raw) for i in issues]


def _relative(path):
    return path[len("CocDataGroup."):] if path.startswith("CocDataGroup.") else path
