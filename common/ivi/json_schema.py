"""The IVI-shaped JSON of `CocDataGroup` as JSON Schema (2020-12, as OpenAPI 3.1 uses it), generated from the
element definitions the official XSD declares (`schema.IviSchema`) and labelled from the field catalogue
(`labels`: the CoC item number and label of each element).

One named schema per complex type of the XSD (`IviMassGroup`, ...), so a client generator makes one class per
group; a table is an array of its row group (the JSON leaves out the row element's name, see `reader`).
Leaves are typed as `values` represents them: integers as JSON integers; decimals as a number, or as the
lexical text where a number would lose its spelling ("44.00"); everything else as a string, with the
enumeration and length facets of its type. XSD patterns are left out: their dialect is not ECMAScript's.

Groups stay open to properties the schema does not declare: the service, not the contract, judges a CoC
against the official XSD (`xsd`), and names every field it refuses.
"""
from __future__ import annotations

from .labels import label_of
from .schema import GROUP, LEAF, TABLE, ElementDef, IviSchema

PREFIX = "Ivi"
ROOT = "CocData"


def coc_component_schemas(ivi: IviSchema) -> dict[str, dict]:
    """`{name: JSON Schema}` of `CocData` (the `coc` object) and every group it holds, references as
    `#/components/schemas/<name>`."""
    components: dict[str, dict] = {}
    root = _object(ivi.coc, components, "")
    root["description"] = ("IVI 2.0 CoC data: element names below `CocDataGroup`; a `…Table` is a list of its "
                           "group's objects. Generated from the official IVI 2.0 schema.")
    components[ROOT] = root
    return components


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _object(node: ElementDef, components: dict, item: str) -> dict:
    """A group's properties. None is required: a CoC's data comes in parts (the approval's, a version's, a
    vehicle's, a merge patch), and the whole is judged against the XSD when it is composed."""
    properties = {}
    for child in node.children:
        child_item, label = label_of(child.name, item)
        properties[child.name] = _element(child, components, child_item, label)
    return {"type": "object", "properties": properties}


def _element(node: ElementDef, components: dict, item: str, label: str) -> dict:
    described = f"{item} {label}".strip()
    if node.kind == LEAF:
        return dict(_leaf(node), description=described)
    if node.kind == GROUP:
        return dict(_named(node, components, item), description=described)
    assert node.kind == TABLE
    row = node.row
    schema = {"type": "array", "items": _named(row, components, item), "description": described}
    if row.max_occurs is not None:
        schema["maxItems"] = row.max_occurs
    return schema


def _named(node: ElementDef, components: dict, item: str) -> dict:
    """A reference to the schema of `node`'s complex type, made on first use."""
    name = PREFIX + node.type_name
    if name not in components:
        components[name] = {}  # a placeholder while the children are made
        components[name] = _object(node, components, item)
    return _ref(name)


def _leaf(node: ElementDef) -> dict:
    simple = node.simple
    if simple is None:
        return {"type": "string"}
    if simple.is_integer:
        schema: dict = {"type": "integer"}
        if simple.min_value is not None:
            schema["minimum"] = int(simple.min_value)
        if simple.max_value is not None:
            schema["maximum"] = int(simple.max_value)
        return schema
    if simple.is_decimal:  # a number, or its exact text where a float would change its spelling (values.py)
        return {"type": ["number", "string"]}
    schema = {"type": "string"}
    if simple.enumeration:
        schema["enum"] = list(simple.enumeration)
    if simple.length is not None:
        schema["minLength"] = schema["maxLength"] = simple.length
    if simple.min_length is not None:
        schema["minLength"] = simple.min_length
    if simple.max_length is not None:
        schema["maxLength"] = simple.max_length
    if simple.base == "date":
        schema["format"] = "date"
    return schema
