"""What the paper CoC says, taken from the sealed eCoC bytes and nothing else.

The sealed XML is parsed (safely: `common.ivi.reader.parse_untrusted`) and walked in document order; every
value is the element's text exactly as sealed (no reformatting, so "44.00" stays "44.00"). Side 1 carries
the model's statement and the identification items, side 2 every other item the certificate holds, numbered
and worded as the Annex VIII models (M, N, O) number them; an item the certificate does not hold is left out,
as the models say. Tables (axles, tyres, colours, energy sources...) become one entry per row, as the models
list multiple values.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from common.ivi.labels import item_numbers_apply, label_of
from common.ivi.reader import ROOT_TAG, SIGNATURE_TAG, parse_untrusted
from common.ivi.schema import IVI_NS

from .wording import Wording

# the items side 1 shows with the statement (Annex VIII, Part I of every model); the rest go on side 2
SIDE1_ITEMS = ("0.1", "0.2", "0.2.1", "0.2.2", "0.4", "0.5", "0.6", "0.9", "0.10")
SIDE1_ELEMENTS = ("TypeApprovalNumber", "TypeApprovalIssueDate", "TypeApprovalType",
                  "ProvisionalTypeApprovalIndicator", "StageOfCompletion", "SigningAuthorityTable")
# read for the statement; also printed on side 2 under "additional information"
STATEMENT_ELEMENTS = ("RightLeftHandTraffic", "MetricImperialSpeedometer", "MetricImperialOdometer")


@dataclass
class Line:
    """One sealed value of an item: the field's label, the text exactly as sealed and `where` it sits in a
    table ("1" the first row, "2.1" the first row of the table inside the second row; "" outside tables)."""
    name: str
    label: str
    value: str
    where: str = ""


@dataclass
class Item:
    number: str
    title: str
    lines: list[Line]


@dataclass
class PaperCoc:
    vin: str
    reference_id: str
    version_number: str
    sha256: str
    category: str
    stage: str
    numbered: bool
    statement: str
    model: str
    header: dict
    signatory: dict
    approval: dict
    side1: list[Item]
    side2: list[Item]
    additional: list[Item]

    @property
    def qr_text(self):
        """What the QR code holds: enough for a registration office to find the electronic eCoC and check it is
        the same document (VIN, IviReferenceId, IviVersionNumber and the SHA-256 of the sealed bytes)."""
        return f"ECOC:{self.vin};REF:{self.reference_id};VER:{self.version_number};SHA256:{self.sha256}"


def _local(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def _children(node):
    return [c for c in node if isinstance(c.tag, str) and c.tag != SIGNATURE_TAG]


def _entries(node, inherited, where=""):
    """(item number, Line) for every value under an element. A group opens in place; each row of a table is
    numbered (`where`), and a value inside a row goes to its own item, so the tyres of an axle are listed under
    item 35 and its track under item 30, each with the axle's row, as the models list multiple values."""
    name = _local(node.tag)
    item, label = label_of(name, inherited)
    kids = _children(node)
    if not kids:
        yield item, Line(name, label, (node.text or "").strip(), where)
    elif name.endswith("Table"):
        for i, group in enumerate(kids, 1):
            row = f"{where}.{i}" if where else str(i)
            for member in _children(group) or [group]:
                yield from _entries(member, item, row)
    else:
        for member in kids:
            yield from _entries(member, item, where)


def _item_key(number):
    return tuple(int(part) for part in number.split(".") if part.isdigit())


def rows(lines):
    """The lines of an item as rows: (where, lines) in order, one row per table row."""
    out = []
    for line in lines:
        if out and out[-1][0] == line.where:
            out[-1][1].append(line)
        else:
            out.append((line.where, [line]))
    return out


def paper_coc(document: bytes, wording: Wording) -> PaperCoc:
    """The paper CoC of a sealed eCoC (its exact bytes), worded in `wording`'s language."""
    root = parse_untrusted(document).getroot()
    if root.tag != ROOT_TAG:
        raise ValueError(f"not an IVI 2.0 message: root element {root.tag}")
    header_node = root.find(f"{{{IVI_NS}}}Header")
    coc_node = root.find(f"{{{IVI_NS}}}CocDataGroup")
    if header_node is None or coc_node is None:
        raise ValueError("the eCoC has no Header or no CocDataGroup")
    header = {_local(c.tag): (c.text or "").strip() for c in _children(header_node)}
    top = {_local(c.tag): c for c in _children(coc_node)}
    text = {name: (node.text or "").strip() for name, node in top.items() if not _children(node)}
    category = text.get("VehicleCategory", "")
    numbered = item_numbers_apply(category)
    stage = text.get("StageOfCompletion", "C")

    signatory = {}
    if "SigningAuthorityTable" in top:
        groups = _children(top["SigningAuthorityTable"])
        if groups:
            signatory = {_local(c.tag): (c.text or "").strip() for c in _children(groups[0])}
    approval = {k: text[k] for k in SIDE1_ELEMENTS if k in text}

    by_item: dict[str, list[Line]] = {}
    unnumbered: list[Item] = []
    for name, node in top.items():
        if name in SIDE1_ELEMENTS:
            continue
        own: list[Line] = []
        for number, line in _entries(node, label_of(name)[0]):
            if number and (numbered or number in SIDE1_ITEMS):
                by_item.setdefault(number, []).append(line)
            else:
                own.append(line)
        if own:
            # elements no model numbers, and on L-category CoCs (Regulation 901/2014 numbers its items
            # differently) everything off side 1: printed with their own wording in the certificate's order
            unnumbered.append(Item("", wording.field(name, label_of(name)[1]), own))

    def item(number):
        return Item(number if numbered else "", wording.item(number, by_item[number][0].label), by_item[number])

    side1 = [item(n) for n in sorted(by_item, key=_item_key) if n in SIDE1_ITEMS]
    side2 = [item(n) for n in sorted(by_item, key=_item_key) if n not in SIDE1_ITEMS]
    if not numbered:
        side2, unnumbered = unnumbered, []
    words = {k: text.get(k) for k in STATEMENT_ELEMENTS}
    statement = wording.statement(stage if numbered else "L", traffic=words["RightLeftHandTraffic"],
                                  speedometer=words["MetricImperialSpeedometer"],
                                  odometer=words["MetricImperialOdometer"])
    return PaperCoc(
        vin=text.get("VehicleIdentificationNumber", ""), reference_id=header.get("IviReferenceId", ""),
        version_number=header.get("IviVersionNumber", ""), sha256=hashlib.sha256(document).hexdigest(),
        category=category, stage=stage, numbered=numbered, statement=statement, model=wording.model(stage),
        header=header, signatory=signatory, approval=approval, side1=side1, side2=side2, additional=unnumbered)
