"""The IVI 2.0 schema read as data: a tree of element definitions for `Header` and `CocDataGroup`.

The XSD is parsed with lxml like any XML document (no schema library): named complex types become
`group` (an `xs:all` or `xs:sequence` of children) or `table` (a sequence holding one repeated
`...Group` element); named simple types become `leaf` definitions whose facets are resolved through
their chain of restrictions down to the XSD builtin type.

Schema paths are dotted element names below `CocDataGroup` (or below `Header`), including the group
element of a table: `AxleTable.AxleGroup.AxleNumber`. `IviSchema.find` also accepts the JSON form of
a path (`AxleTable[0].AxleNumber`): indexes are dropped and the group step of a table may be left out.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from lxml import etree

IVI_NS = "http://eu.ereg.initialvehicleinformation.v2"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XS_NS = "http://www.w3.org/2001/XMLSchema"

_XS = "{%s}" % XS_NS

INTEGER_BUILTINS = frozenset(
    {
        "integer", "int", "short", "long", "byte",
        "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
        "unsignedInt", "unsignedShort", "unsignedLong", "unsignedByte",
    }
)
DECIMAL_BUILTINS = frozenset({"decimal", "float", "double"})

LEAF, GROUP, TABLE = "leaf", "group", "table"

_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class SimpleType:
    """A leaf's value space: the XSD builtin it restricts plus every facet met on the way there."""

    name: str
    base: str  # local name of the XSD builtin, e.g. "string", "short", "decimal", "date"
    patterns: tuple[str, ...] = ()
    enumeration: tuple[str, ...] = ()
    length: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    total_digits: int | None = None
    fraction_digits: int | None = None
    min_inclusive: str | None = None
    max_inclusive: str | None = None

    @property
    def is_integer(self) -> bool:
        return self.base in INTEGER_BUILTINS

    @property
    def is_decimal(self) -> bool:
        return self.base in DECIMAL_BUILTINS

    @property
    def is_numeric(self) -> bool:
        return self.is_integer or self.is_decimal

    @property
    def min_value(self) -> Decimal | None:
        return Decimal(self.min_inclusive) if self.min_inclusive is not None and self.is_numeric else None

    @property
    def max_value(self) -> Decimal | None:
        return Decimal(self.max_inclusive) if self.max_inclusive is not None and self.is_numeric else None


@dataclass(frozen=True, eq=False)
class ElementDef:
    """One element of the message as the schema declares it."""

    name: str
    type_name: str
    kind: str  # LEAF | GROUP | TABLE
    min_occurs: int
    max_occurs: int | None  # None = unbounded
    path: str  # dotted schema path below the root ("" for the root itself)
    children: tuple["ElementDef", ...] = ()
    simple: SimpleType | None = None
    _by_name: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        self._by_name.update((child.name, child) for child in self.children)

    @property
    def required(self) -> bool:
        return self.min_occurs > 0

    @property
    def is_leaf(self) -> bool:
        return self.kind == LEAF

    @property
    def is_group(self) -> bool:
        return self.kind == GROUP

    @property
    def is_table(self) -> bool:
        return self.kind == TABLE

    @property
    def row(self) -> "ElementDef":
        """The repeated group element of a table."""
        if self.kind != TABLE:
            raise TypeError(f"{self.name} is not a table")
        return self.children[0]

    def child(self, name: str) -> "ElementDef | None":
        return self._by_name.get(name)

    def iter_leaves(self) -> Iterator["ElementDef"]:
        for child in self.children:
            if child.kind == LEAF:
                yield child
            else:
                yield from child.iter_leaves()


class IviSchema:
    """Element definitions of the IVI 2.0 message, read from the official XSD."""

    def __init__(self, path: str, header: ElementDef, coc: ElementDef, simple_types: dict[str, SimpleType]):
        self.path = path
        self.header = header
        self.coc = coc
        self.simple_types = simple_types
        self.table_names = frozenset(
            d.name for root in (header, coc) for d in _walk(root) if d.kind == TABLE
        )

    def __repr__(self):
        return f"IviSchema({self.path!r})"

    def find(self, path: str) -> ElementDef:
        """The definition at `path` (below CocDataGroup; `Header.` / `CocDataGroup.` prefixes accepted).

        Raises KeyError when no such element exists.
        """
        steps = [s for s in _INDEX.sub("", path).split(".") if s]
        node = self.coc
        if steps and steps[0] == "Header":
            node, steps = self.header, steps[1:]
        elif steps and steps[0] == "CocDataGroup":
            steps = steps[1:]
        for step in steps:
            child = node.child(step)
            if child is None and node.kind == TABLE:
                child = node.row.child(step)
            if child is None:
                raise KeyError(f"{path}: no element {step!r} in {node.name}")
            node = child
        return node

    def leaf_paths(self, root: str = "coc") -> list[str]:
        """Every leaf path below CocDataGroup (root="coc") or Header (root="header"), in schema order."""
        base = self.coc if root == "coc" else self.header
        return [leaf.path for leaf in base.iter_leaves()]


def _walk(node: ElementDef) -> Iterator[ElementDef]:
    yield node
    for child in node.children:
        yield from _walk(child)


@functools.lru_cache(maxsize=8)
def _load(resolved: str) -> IviSchema:
    return _Builder(resolved).build()


def load_schema(path) -> IviSchema:
    """Parse the IVI XSD at `path` into an `IviSchema` (cached per resolved path)."""
    resolved = str(Path(path).resolve())
    if not Path(resolved).is_file():
        raise FileNotFoundError(f"IVI schema not found at {path}")
    return _load(resolved)


class _Builder:
    def __init__(self, path: str):
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
        self.path = path
        self.root = etree.parse(path, parser).getroot()
        target = self.root.get("targetNamespace")
        if target != IVI_NS:
            raise ValueError(f"{path} is not the IVI 2.0 schema (targetNamespace {target!r})")
        self.complex = {n.get("name"): n for n in self.root.findall(_XS + "complexType")}
        self.simple_nodes = {n.get("name"): n for n in self.root.findall(_XS + "simpleType")}
        self.simple: dict[str, SimpleType] = {}

    def build(self) -> IviSchema:
        message = self.complex.get("InitialVehicleInformation")
        if message is None:
            raise ValueError(f"{self.path}: no complexType InitialVehicleInformation")
        decls = {
            el.get("name"): el for el in message.iter(_XS + "element") if el.get("name") is not None
        }
        header = self._element(decls["Header"], "", ())
        coc = self._element(decls["CocDataGroup"], "", ())
        for name in self.simple_nodes:
            self._simple_type(name)
        return IviSchema(self.path, header, coc, dict(self.simple))

    # -- elements ---------------------------------------------------------------------------------

    def _element(self, decl, path: str, stack: tuple) -> ElementDef:
        name = decl.get("name")
        if name is None:
            raise ValueError(f"{self.path}: element references ({decl.get('ref')}) are not supported in IVI data")
        min_occurs = int(decl.get("minOccurs", "1"))
        max_raw = decl.get("maxOccurs", "1")
        max_occurs = None if max_raw == "unbounded" else int(max_raw)
        type_name = _local(decl.get("type") or "")
        inline_complex = decl.find(_XS + "complexType")
        inline_simple = decl.find(_XS + "simpleType")

        if inline_complex is not None or type_name in self.complex:
            node = inline_complex if inline_complex is not None else self.complex[type_name]
            key = type_name or f"{path}#anonymous"
            if key in stack:
                raise ValueError(f"{self.path}: recursive type {key} at {path or name}")
            return self._complex(name, type_name, node, min_occurs, max_occurs, path, stack + (key,))

        if inline_simple is not None:
            simple = self._resolve(inline_simple, f"{name}#anonymous")
        elif type_name in self.simple_nodes:
            simple = self._simple_type(type_name)
        elif _is_builtin(decl.get("type"), decl):
            simple = SimpleType(name=type_name, base=type_name)
        else:
            raise ValueError(f"{self.path}: element {name} has unknown type {decl.get('type')!r}")
        return ElementDef(name, type_name or simple.name, LEAF, min_occurs, max_occurs, path, (), simple)

    def _complex(self, name, type_name, node, min_occurs, max_occurs, path, stack) -> ElementDef:
        content = [c for c in node if c.tag in (_XS + "all", _XS + "sequence", _XS + "choice")]
        if len(content) > 1:
            raise ValueError(f"{self.path}: complexType {type_name} has more than one content model")
        decls = []
        if content:
            decls = [c for c in content[0] if c.tag == _XS + "element"]
            if any(c.tag != _XS + "annotation" for c in content[0] if c.tag != _XS + "element"):
                raise ValueError(f"{self.path}: complexType {type_name} nests model groups")
        is_table = (
            content
            and content[0].tag == _XS + "sequence"
            and len(decls) == 1
            and decls[0].get("maxOccurs", "1") != "1"
        )
        children = []
        for d in decls:
            child_path = f"{path}.{d.get('name')}" if path else d.get("name")
            children.append(self._element(d, child_path, stack))
        return ElementDef(
            name, type_name, TABLE if is_table else GROUP, min_occurs, max_occurs, path, tuple(children)
        )

    # -- simple types -----------------------------------------------------------------------------

    def _simple_type(self, name: str) -> SimpleType:
        if name not in self.simple:
            self.simple[name] = self._resolve(self.simple_nodes[name], name)
        return self.simple[name]

    def _resolve(self, node, name: str, seen: tuple = ()) -> SimpleType:
        restriction = node.find(_XS + "restriction")
        if restriction is None:
            raise ValueError(f"{self.path}: simpleType {name} is not a restriction (list/union unsupported)")
        base_ref = restriction.get("base")
        base_local = _local(base_ref or "")
        if _is_builtin(base_ref, restriction):
            inherited = SimpleType(name=name, base=base_local)
        elif base_local in self.simple_nodes:
            if base_local in seen:
                raise ValueError(f"{self.path}: recursive simpleType {base_local}")
            inherited = self._resolve(self.simple_nodes[base_local], base_local, seen + (name,))
        else:
            raise ValueError(f"{self.path}: simpleType {name} restricts unknown type {base_ref!r}")

        values: dict = {}
        patterns, enumeration = [], []
        for facet in restriction:
            tag = _local(facet.tag)
            value = facet.get("value")
            if tag == "pattern":
                patterns.append(value)
            elif tag == "enumeration":
                enumeration.append(value)
            elif tag in ("length", "minLength", "maxLength", "totalDigits", "fractionDigits"):
                values[_snake(tag)] = int(value)
            elif tag in ("minInclusive", "maxInclusive"):
                values[_snake(tag)] = value
        # Patterns of successive restrictions must all match; enumerations narrow (the nearest wins).
        merged = {
            "patterns": inherited.patterns + tuple(patterns),
            "enumeration": tuple(enumeration) or inherited.enumeration,
        }
        for key in ("length", "min_length", "max_length", "total_digits", "fraction_digits",
                    "min_inclusive", "max_inclusive"):
            merged[key] = values.get(key, getattr(inherited, key))
        return SimpleType(name=name, base=inherited.base, **merged)


def _local(qname: str) -> str:
    if qname.startswith("{"):
        return qname.split("}", 1)[1]
    return qname.split(":", 1)[-1]


def _is_builtin(qname: str | None, context) -> bool:
    if not qname:
        return False
    prefix = qname.split(":", 1)[0] if ":" in qname else None
    return context.nsmap.get(prefix) == XS_NS


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
