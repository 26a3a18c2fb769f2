"""Write IVI-shaped JSON as an IVI 2.0 message, walking the schema (never the dict).

Elements come out in the schema's declaration order (also inside `xs:all` groups), in the IVI
namespace as the default namespace without prefix, like the official samples. None, "", [] and {}
are omitted, and so is a group or table left without content: an empty element is never written.
A key the schema does not know at its place raises `IviDataError` with its exact path
(`AxleTable[1].TyreAxleTable[0].RimSize`, `Header.Foo`). No signature is added here.

Leaf formatting is `values.format_leaf`: ints as ints, decimals in plain notation (never an exponent)
within the type's fractionDigits, a decimal kept as its lexical str (e.g. "44.00") written verbatim.

`serialize` gives UTF-8 bytes with the declaration `<?xml version='1.0' encoding='UTF-8'?>`
(single quotes, as lxml writes it), no pretty-printing: the same input always gives the same bytes.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from lxml import etree

from .errors import IviDataError
from .schema import IVI_NS, ElementDef, IviSchema
from .values import LeafValueError, format_leaf

_NSMAP = {None: IVI_NS}


def _tag(name: str) -> str:
    return f"{{{IVI_NS}}}{name}"


def build_message(schema: IviSchema, header: Mapping, coc: Mapping) -> etree._Element:
    """The `InitialVehicleInformation` element holding `Header` and `CocDataGroup` (unsigned)."""
    root = etree.Element(_tag("InitialVehicleInformation"), nsmap=_NSMAP)
    for definition, data, prefix in ((schema.header, header, "Header."), (schema.coc, coc, "")):
        element = etree.SubElement(root, _tag(definition.name))
        _fill_group(element, definition, data if data is not None else {}, prefix)
    return root


def build_coc(schema: IviSchema, coc: Mapping) -> etree._Element:
    """The `CocDataGroup` element alone (for previews and comparisons)."""
    element = etree.Element(_tag("CocDataGroup"), nsmap=_NSMAP)
    _fill_group(element, schema.coc, coc if coc is not None else {}, "")
    return element


def serialize(root: etree._Element) -> bytes:
    """UTF-8 bytes with an XML declaration (single-quoted), no pretty-printing."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=False)


def _fill_group(element, definition: ElementDef, data, prefix: str) -> None:
    """Append the group's children to `element`; `prefix` is the group's path plus "." (or "")."""
    here = prefix.rstrip(".") or definition.name
    if not isinstance(data, Mapping):
        raise IviDataError(here, f"{definition.name} must be an object, got {type(data).__name__}")
    for key in data:
        if not isinstance(key, str) or definition.child(key) is None:
            raise IviDataError(f"{prefix}{key}", f"unknown element {key!r} in {definition.name}")
    for child in definition.children:
        if child.name not in data:
            continue
        value = data[child.name]
        path = prefix + child.name
        if child.kind == "leaf":
            try:
                text = format_leaf(value, child.simple)
            except LeafValueError as exc:
                raise IviDataError(path, str(exc)) from None
            if text is not None:
                etree.SubElement(element, _tag(child.name)).text = text
        elif child.kind == "group":
            if _empty(value):
                continue
            sub = etree.Element(_tag(child.name))
            _fill_group(sub, child, value, path + ".")
            if len(sub):
                element.append(sub)
        else:
            if _empty(value):
                continue
            if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
                raise IviDataError(path, f"{child.name} must be a list of {child.row.name} objects")
            table = etree.Element(_tag(child.name))
            for index, row_data in enumerate(value):
                if _empty(row_data):
                    continue
                row = etree.Element(_tag(child.row.name))
                _fill_group(row, child.row, row_data, f"{path}[{index}].")
                if len(row):
                    table.append(row)
            if len(table):
                element.append(table)


def _empty(value) -> bool:
    return value is None or (isinstance(value, (str, list, tuple, Mapping)) and len(value) == 0)
