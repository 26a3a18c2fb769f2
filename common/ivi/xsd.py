"""Validation against the official IVI 2.0 XSD, for signed messages and for unsigned drafts.

`SchemaValidator(xsd_path)` compiles the schema once, plus a relaxed copy in which the
`sig:Signature` of `InitialVehicleInformation` has minOccurs="0" (drafts are not signed yet).
The xmldsig import is resolved next to the XSD; when `xmldsig-core-schema.xsd` is not there, the
copy shipped inside the installed `signxml` package is used instead.

Problems come back as `SchemaIssue`s, never as exceptions: a document that is not well-formed or
carries a DTD gives one issue with an empty path. `SchemaIssue.path` is the IVI path of the element,
in the JSON form the writer uses (`CocDataGroup.MassGroup.ActualMass`,
`CocDataGroup.AxleTable[1].AxleNumber`, `Header.IviReferenceId`); a missing required element gets
its own path (`CocDataGroup.VehicleIdentificationNumber`) rather than its parent's.

The official schema is not part of this repository: its location comes from configuration
(ECOC_IVI_SCHEMA). `schema_missing_message(path)` says so clearly when it is absent.
"""
from __future__ import annotations

import copy
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from common.locks import os_lock

from .errors import IviFormatError
from .reader import parse_untrusted
from .schema import DS_NS, XS_NS, IviSchema, load_schema

DSIG_FILENAME = "xmldsig-core-schema.xsd"
SCHEMA_DOWNLOAD_HINT = (
    "Download IVI2.0.xsd from the EUCARIS eCoC documentation page (ecoc.eucaris.net/documentation) "
    "and set ECOC_IVI_SCHEMA."
)


@dataclass(frozen=True)
class SchemaIssue:
    path: str  # IVI path, e.g. "CocDataGroup.MassGroup.ActualMass" ("" for the document as a whole)
    line: int | None
    message: str  # a readable sentence
    raw: str  # the libxml2 message as reported


class SchemaUnavailableError(FileNotFoundError):
    """The configured IVI schema file does not exist."""


def schema_available(path) -> bool:
    """True when `path` names an existing schema file."""
    return bool(path) and Path(path).is_file()


def schema_missing_message(path) -> str:
    """The sentence to log or show when the IVI schema is not configured or not found."""
    shown = str(path) if path else "(ECOC_IVI_SCHEMA is not set)"
    return f"IVI schema not found at {shown}: schema checks are off. {SCHEMA_DOWNLOAD_HINT}"


def dsig_schema_path(xsd_path) -> Path:
    """The xmldsig schema to import: next to the IVI XSD, else the copy shipped with signxml."""
    beside = Path(xsd_path).resolve().parent / DSIG_FILENAME
    if beside.is_file():
        return beside
    spec = importlib.util.find_spec("signxml")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            found = sorted(Path(folder).rglob(DSIG_FILENAME))
            if found:
                return found[0]
    raise SchemaUnavailableError(
        f"{DSIG_FILENAME} not found next to {xsd_path} nor in the signxml package"
    )


class SchemaValidator:
    """The official IVI 2.0 schema, compiled once: `validate_signed` and `validate_draft`."""

    def __init__(self, xsd_path):
        if not schema_available(xsd_path):
            raise SchemaUnavailableError(schema_missing_message(xsd_path))
        self.xsd_path = str(Path(xsd_path).resolve())
        self.ivi_schema: IviSchema = load_schema(self.xsd_path)
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        document = etree.parse(self.xsd_path, parser)
        _point_import_at(document, dsig_schema_path(self.xsd_path))
        self._signed = etree.XMLSchema(document)
        relaxed = copy.deepcopy(document)
        _make_signature_optional(relaxed)
        self._draft = etree.XMLSchema(relaxed)
        self._lock = os_lock()  # an lxml schema object is not shared between threads at once

    def validate_signed(self, xml) -> list[SchemaIssue]:
        """Issues of a complete message, ds:Signature required (bytes or an lxml element/tree)."""
        return self._validate(self._signed, xml)

    def validate_draft(self, xml) -> list[SchemaIssue]:
        """Issues of a message that may still lack its ds:Signature."""
        return self._validate(self._draft, xml)

    def _validate(self, xmlschema: etree.XMLSchema, xml) -> list[SchemaIssue]:
        if isinstance(xml, (bytes, bytearray, memoryview)):
            try:
                tree = parse_untrusted(bytes(xml))
            except IviFormatError as exc:
                return [SchemaIssue("", exc.line, exc.message, exc.message)]
        elif isinstance(xml, etree._ElementTree):
            tree = xml
        elif isinstance(xml, etree._Element):
            tree = xml.getroottree()
        else:
            raise TypeError(f"expected XML bytes or an lxml element, got {type(xml).__name__}")
        with self._lock:
            valid = xmlschema.validate(tree)
            errors = list(xmlschema.error_log)
        if valid:
            return []
        issues: list[SchemaIssue] = []
        for error in errors:
            issues.extend(self._issues(tree, error))
        return issues

    # -- turning libxml2 errors into issues -------------------------------------------------------

    def _issues(self, tree, error) -> list[SchemaIssue]:
        raw = error.message
        line = error.line or None
        element = _locate(tree, error.path)
        path = self._ivi_path(element) if element is not None else ""
        match = _ELEMENT_MESSAGE.match(raw)
        name, rest = (match.group("name"), match.group("rest")) if match else ("", raw)
        name, rest = _strip_namespaces(name), _strip_namespaces(rest)

        if rest.startswith("Missing child element(s)."):
            missing = self._missing_required(element) if element is not None else []
            if not missing:
                expected = _expected_names(rest)
                missing = expected if len(expected) == 1 else []
            if missing:
                return [
                    SchemaIssue(
                        _join(path, child),
                        line,
                        f"{child} is required in {name or 'the message'} but missing.",
                        raw,
                    )
                    for child in missing
                ]
            return [SchemaIssue(path, line, f"{name}: an element is missing. {rest}", raw)]

        if rest.startswith("This element is not expected."):
            expected = _expected_names(rest)
            message = f"{name} is not allowed at this place (unknown, repeated or misplaced element)."
            if expected:
                message = message[:-1] + f"; expected here: {', '.join(expected)}."
            return [SchemaIssue(path, line, message, raw)]

        rest = _shorten_sets(re.sub(r"^\[facet '[^']+'\]\s*", "", rest))
        sentence = rest[:1].lower() + rest[1:] if re.match(r"[A-Z][a-z]", rest) else rest
        return [SchemaIssue(path, line, f"{name}: {sentence}" if name else sentence, raw)]

    def _missing_required(self, element) -> list[str]:
        definition = self._definition(element)
        if definition is None or definition.kind != "group":
            return []
        present = {etree.QName(child).localname for child in element if isinstance(child.tag, str)}
        return [c.name for c in definition.children if c.required and c.name not in present]

    def _definition(self, element):
        steps = []
        node = element
        while node is not None and node.getparent() is not None:
            steps.append(etree.QName(node).localname)
            node = node.getparent()
        steps.reverse()
        if not steps:
            return None
        try:
            if steps[0] == "Header":
                return self.ivi_schema.find(".".join(steps))
            if steps[0] == "CocDataGroup":
                return self.ivi_schema.coc if len(steps) == 1 else self.ivi_schema.find(".".join(steps[1:]))
        except KeyError:
            return None
        return None

    def _ivi_path(self, element) -> str:
        """`CocDataGroup.AxleTable[1].AxleNumber`: table rows become 0-based indexes."""
        chain = []
        node = element
        while node.getparent() is not None:
            chain.append(node)
            node = node.getparent()
        if not chain:
            return etree.QName(element).localname
        out = ""
        for node in reversed(chain):
            parent = node.getparent()
            if parent.getparent() is not None and etree.QName(parent).localname in self.ivi_schema.table_names:
                rows = [c for c in parent if isinstance(c.tag, str)]
                out += f"[{rows.index(node)}]"
            else:
                name = etree.QName(node).localname
                out = f"{out}.{name}" if out else name
        return out


def _join(path: str, child: str) -> str:
    return f"{path}.{child}" if path and path != "InitialVehicleInformation" else child


_ELEMENT_MESSAGE = re.compile(r"^Element '(?P<name>[^']+)'(?:, attribute '[^']*')?: (?P<rest>.*)$", re.S)


def _strip_namespaces(text: str) -> str:
    """Drop `{namespace-uri}` prefixes, leaving regex quantifiers and enumeration sets alone."""
    return re.sub(r"\{(?:https?|urn):[^}\s]*\}", "", text).strip()


def _shorten_sets(text: str, keep: int = 8) -> str:
    """Shorten a long enumeration set quoted by libxml2: {'A', 'B', ...}."""

    def shorten(match):
        items = match.group(1).split(", ")
        if len(items) <= keep:
            return match.group(0)
        return "{" + ", ".join(items[:keep]) + f", ... ({len(items)} values)" + "}"

    return re.sub(r"\{('[^}]*')\}", shorten, text)


def _expected_names(rest: str) -> list[str]:
    match = re.search(r"Expected is (?:one of )?\(\s*(.*?)\s*\)", rest)
    if not match:
        return []
    return [n.strip() for n in match.group(1).split(",") if n.strip() and n.strip() != "..."]


def _locate(tree, path: str | None):
    if not path:
        return None
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None


def _point_import_at(document, dsig_path: Path) -> None:
    for node in document.getroot().iter(f"{{{XS_NS}}}import"):
        if node.get("namespace") == DS_NS:
            node.set("schemaLocation", dsig_path.resolve().as_uri())


def _make_signature_optional(document) -> None:
    root = document.getroot()
    for complex_type in root.iterfind(f"{{{XS_NS}}}complexType"):
        if complex_type.get("name") != "InitialVehicleInformation":
            continue
        for element in complex_type.iter(f"{{{XS_NS}}}element"):
            ref = element.get("ref")
            if ref and _qname(element, ref) == (DS_NS, "Signature"):
                element.set("minOccurs", "0")
                return
    raise ValueError("the IVI schema has no sig:Signature reference in InitialVehicleInformation")


def _qname(context, value: str) -> tuple[str | None, str]:
    prefix, _, local = value.rpartition(":")
    return context.nsmap.get(prefix or None), local
