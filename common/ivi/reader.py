"""Read an IVI 2.0 XML message into IVI-shaped JSON: `{"header": {...}, "coc": {...}}`.

The input is untrusted: it is parsed without entity expansion, network access or huge-tree mode, and
any DOCTYPE (internal or external DTD) is refused. Every element must be known to the schema at its
place; the `ds:Signature` is not data and is skipped. Leaf values follow `values.parse_leaf`:
integers -> int; decimals -> int ("175"), float when repr gives the text back ("73.0", "0.67"),
else the lexical str ("44.00", trailing zeros kept); every other type -> str.
"""
from __future__ import annotations

from lxml import etree

from .errors import IviFormatError
from .schema import DS_NS, IVI_NS, ElementDef, IviSchema
from .values import LeafValueError, parse_leaf

ROOT_TAG = f"{{{IVI_NS}}}InitialVehicleInformation"
SIGNATURE_TAG = f"{{{DS_NS}}}Signature"


def safe_parser(keep_bytes: bool = False) -> etree.XMLParser:
    """The parser for untrusted IVI XML (a new one per call: lxml parsers are not thread-safe).

    `keep_bytes` keeps whitespace, comments and processing instructions exactly as received, as a
    signature check needs; otherwise blank text between elements is dropped."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=not keep_bytes,
        load_dtd=False,
        dtd_validation=False,
    )


def parse_untrusted(xml_bytes: bytes) -> etree._ElementTree:
    """Parse untrusted XML bytes into a tree; IviFormatError when malformed or carrying a DTD."""
    if isinstance(xml_bytes, str):
        raise TypeError("IVI XML must be given as bytes, not str")
    try:
        tree = etree.ElementTree(etree.fromstring(bytes(xml_bytes), safe_parser()))
    except etree.XMLSyntaxError as exc:
        raise IviFormatError(f"not well-formed XML: {exc}", line=exc.lineno or None) from None
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise IviFormatError("a DOCTYPE / DTD is not allowed in an IVI message")
    for node in tree.getroot().iter():
        if isinstance(node, etree._Entity):
            raise IviFormatError("entity references are not allowed in an IVI message")
    return tree


def read_ivi(xml_bytes: bytes, schema: IviSchema) -> dict:
    """The header and CoC data of an IVI message: `{"header": {...}, "coc": {...}}`."""
    root = parse_untrusted(xml_bytes).getroot()
    if root.tag != ROOT_TAG:
        raise IviFormatError(f"root element is {root.tag}, expected {ROOT_TAG}")
    result = {"header": {}, "coc": {}}
    seen = set()
    for child in _elements(root, "InitialVehicleInformation"):
        if child.tag == SIGNATURE_TAG:
            continue
        name = _ivi_name(child, "")
        if name in seen:
            raise IviFormatError(f"{name} occurs more than once", name)
        seen.add(name)
        if name == "Header":
            result["header"] = _group(child, schema.header, "Header.")
        elif name == "CocDataGroup":
            result["coc"] = _group(child, schema.coc, "")
        else:
            raise IviFormatError(f"unknown element {name}", name)
    return result


def _elements(node, path: str):
    """Element children, refusing text content where only elements belong."""
    if (node.text or "").strip():
        raise IviFormatError(f"{path or node.tag} holds text where only elements are allowed", path)
    for child in node:
        if (child.tail or "").strip():
            raise IviFormatError(f"{path} holds text where only elements are allowed", path)
        if isinstance(child.tag, str):
            yield child


def _ivi_name(element, prefix: str) -> str:
    qname = etree.QName(element)
    if qname.namespace != IVI_NS:
        raise IviFormatError(f"unknown element {prefix}{element.tag}", f"{prefix}{element.tag}")
    return qname.localname


def _group(element, definition: ElementDef, prefix: str) -> dict:
    """A group element as a dict; `prefix` is the path of the group itself ("" or "X." / "X[0].")."""
    data = {}
    for child in _elements(element, prefix.rstrip(".")):
        name = _ivi_name(child, prefix)
        path = prefix + name
        sub = definition.child(name)
        if sub is None:
            raise IviFormatError(f"unknown element {path}", path)
        if name in data:
            raise IviFormatError(f"{path} occurs more than once", path)
        data[name] = _value(child, sub, path)
    return data


def _value(element, definition: ElementDef, path: str):
    if definition.kind == "leaf":
        if len(element):
            raise IviFormatError(f"{path} must hold a value, not elements", path)
        try:
            return parse_leaf(element.text, definition.simple)
        except LeafValueError as exc:
            raise IviFormatError(f"{path}: {exc}", path) from None
    if definition.kind == "group":
        return _group(element, definition, path + ".")
    row = definition.row
    rows = []
    for child in _elements(element, path):
        name = _ivi_name(child, path + ".")
        if name != row.name:
            raise IviFormatError(f"unknown element {path}.{name} (expected {row.name})", f"{path}.{name}")
        rows.append(_group(child, row, f"{path}[{len(rows)}]."))
    return rows
