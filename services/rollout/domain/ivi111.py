"""IVI 1.11 messages (the EReg `InitialVehicleInformation` 1.x schema, no namespace) in IVI 2.0 terms.

`Converter(xsd_111, schema_20).convert(xml_bytes, name)` checks the message against the 1.11 schema (an invalid
one is refused, naming the first problems) and gives `(header, coc, report)`: header and CoC data in the IVI-shaped
JSON of IVI 2.0, and the conversion report. Every leaf of the 1.11 message is in the report exactly once:

- `mapped`: the element has the same name in IVI 2.0 and moved only into its 2.0 group (e.g. `Length` ->
  `DimensionGroup.Length`), its value unchanged;
- `transformed`: renamed or recoded, with the rule (e.g. `TypeApprovalTypeCode` EC -> `TypeApprovalType` EU);
- `unmapped`: without an IVI 2.0 counterpart (or with a value IVI 2.0 does not allow), with the reason.

Paths carry row indexes (`AxleTable[1].TyreAxleTable[0].TyreSize`); a row of a 1.11 table becomes the row of
the same index of the 2.0 table it maps to. The mapping table covers the IVI 1.x fields of the CoC core (identity,
approval, masses, dimensions, axles and tyres, manufacturer, signing authority, header) and every element whose
name IVI 2.0 kept; the rest is reported unmapped rather than guessed.
"""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from common.ivi.values import LeafValueError, parse_leaf

from .legacy import LegacyInputError

_INDEX = re.compile(r"\[(\d+)\]")
MAX_REPORTED_ERRORS = 5

TYPE_APPROVAL_TYPES = {"EC": "EU", "KS": "ESS", "NKS": "NSS"}
TRAFFIC = {"R": "RIGHT", "L": "LEFT", "B": "BOTH"}

# 1.11 schema path (tables without their row group) -> (2.0 JSON path with {0}, {1}... for the row indexes, rule;
# None: renamed only), or (None, reason) for an element known to have no 2.0 counterpart.
RULES = {
    "Header.IVIReferenceId": ("Header.IviReferenceId", None),
    "Header.VersionNumberXsd": (None, "the XSD version of the 1.x message; the converted data is IVI 2.0"),
    "VersionCoc": ("Header.IviVersionNumber", None),
    "VersionDateIVI": ("Header.IviVersionDateTime", None),
    "IntendedCountryOfRegistrCode": ("Header.IntendedCountryRegistration", "moved from the CoC data to the header"),
    "StageOfCompletionCode": ("StageOfCompletion", None),
    "TypeApprovalTypeCode": ("TypeApprovalType", "EC -> EU, KS -> ESS, NKS -> NSS (NAT and IND have no 2.0 code)"),
    "VehicleCategoryCode": ("VehicleCategory", None),
    "MethodOfAttachmStatPlatesCode": ("MethodAttachmentStatutoryPlate", None),
    "TypeApprovalDateOfIssue": ("TypeApprovalIssueDate", None),
    "DateOfManufactureVeh": ("DateManufactureVehicle", None),
    "RightLeftHandTrafficCode": ("RightLeftHandTraffic", "R -> RIGHT, L -> LEFT, B -> BOTH"),
    "MassOfTheVehicleInRunningOrder": ("MassGroup.MassInRunningOrder", None),
    "ActualMassOfTheVehicle": ("MassGroup.ActualMass", None),
    "TechnPermMaxLadenMass": ("MassGroup.TechnicallyPermissibleMaximumLadenMass", None),
    "PrimaryColourCode": ("ColourTable[0].Colour", "the primary colour becomes the first row of ColourTable"),
    "PureElectricVehIndicator": ("PureElectricVehicleIndicator", None),
    "AxleTable.TechnicallyPermMassAxle": ("AxleTable[{0}].TechnicallyPermissibleMassAxle", None),
    "SigningAuthorityTable.NameOfSigner": ("SigningAuthorityTable[{0}].SignerName", None),
    "SigningAuthorityTable.PositionOfSigner": ("SigningAuthorityTable[{0}].SignerPosition", None),
    "SigningAuthorityTable.PlaceOfSignature": ("SigningAuthorityTable[{0}].SignatureLocation", None),
    "SigningAuthorityTable.DateOfSignature": ("SigningAuthorityTable[{0}].SignatureDate", None),
    "StageNrOfManufacturingTable.StageManufacturerNumber": ("ManufacturerTable[{0}].ManufacturerStageNumber", None),
    "StageNrOfManufacturingTable.AddressTable.Name":
        ("ManufacturerTable[{0}].ManufacturerName", "a stage's first address is its manufacturer row"),
    "StageNrOfManufacturingTable.AddressTable.AddressLine1":
        ("ManufacturerTable[{0}].ManufacturerAddressLine1", "a stage's first address is its manufacturer row"),
    "StageNrOfManufacturingTable.AddressTable.AddressLine2":
        ("ManufacturerTable[{0}].ManufacturerAddressLine2", "a stage's first address is its manufacturer row"),
    "StageNrOfManufacturingTable.AddressTable.PlaceOfResidence":
        ("ManufacturerTable[{0}].ManufacturerPlaceOfResidence", "a stage's first address is its manufacturer row"),
    "StageNrOfManufacturingTable.AddressTable.CountryOfResidence":
        ("ManufacturerTable[{0}].ManufacturerCountryOfResidence", "a stage's first address is its manufacturer row"),
    "StageNrOfManufacturingTable.AddressTable.AddressTypeCode":
        (None, "IVI 2.0 has no address type: a stage's first address is its manufacturer"),
    "Remarks": (None, "IVI 2.0 remarks are RemarkTable rows with a subject and a language, which 1.x does not state"),
}
VALUE_RULES = {"TypeApprovalTypeCode": TYPE_APPROVAL_TYPES, "RightLeftHandTrafficCode": TRAFFIC}
TABLE_RENAMES = {"EngineTable": "EnergyConvertorTable"}  # 1.x engines are 2.0 energy convertors, row by row


class Converter:
    def __init__(self, xsd_path, schema20):
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        self.xsd = etree.XMLSchema(etree.parse(str(xsd_path), parser))
        self.schema = schema20
        self.by_name = _leaves_by_name(schema20)

    def convert(self, data, name="document.xml"):
        """`(header, coc, report)` of an IVI 1.11 message (LegacyInputError naming `name` when it is not one)."""
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        try:
            tree = etree.ElementTree(etree.fromstring(data, parser))
        except etree.XMLSyntaxError as exc:
            raise LegacyInputError(f"not well-formed XML: {exc}", name) from None
        if not self.xsd.validate(tree):
            problems = [f"line {e.line}: {e.message}" for e in list(self.xsd.error_log)[:MAX_REPORTED_ERRORS]]
            raise LegacyInputError("not a valid IVI 1.11 message: " + "; ".join(problems), name)
        root = tree.getroot()
        header, coc = {}, {}
        report = {"mapped": [], "transformed": [], "unmapped": []}
        leaves = list(_leaves(root.find("Header"), "Header.", "Header."))
        body = root.find("Body/CocDataGroup")
        if body is not None:
            leaves += list(_leaves(body, "", ""))
        for path, schema_path, indexes, text in leaves:
            self._one(path, schema_path, indexes, text, header, coc, report)
        report["counts"] = {k: len(report[k]) for k in ("mapped", "transformed", "unmapped")}
        return header, coc, report

    def _one(self, path, schema_path, indexes, text, header, coc, report):
        rule = RULES.get(schema_path)
        if rule is not None and rule[0] is None:
            report["unmapped"].append({"from": path, "value": text, "why": rule[1]})
            return
        if rule is not None:
            target, how = rule
            if "{1}" not in target and len(indexes) > 1 and any(indexes[1:]):
                report["unmapped"].append({"from": path, "value": text,
                                           "why": "only a stage's first address has a 2.0 counterpart"})
                return
            target = target.format(*indexes)
            leaf_name = schema_path.rsplit(".", 1)[-1]
            value_text = text
            if leaf_name in VALUE_RULES:
                if text not in VALUE_RULES[leaf_name]:
                    report["unmapped"].append({"from": path, "value": text, "why": f"no IVI 2.0 code for {text!r}"})
                    return
                value_text = VALUE_RULES[leaf_name][text]
            kind, rule_text = ("transformed", how or f"renamed to {_INDEX.sub('', target)}")
        else:
            target = self._same_name(schema_path, indexes)
            if target is None:
                report["unmapped"].append({"from": path, "value": text, "why": "no IVI 2.0 element of this name "
                                                                               "in a matching table"})
                return
            value_text = text
            renamed = _table_names(schema_path) != _table_names(_INDEX.sub("", target))
            kind, rule_text = ("transformed", "EngineTable rows are EnergyConvertorTable rows") if renamed \
                else ("mapped", None)
        definition = self._definition(target)
        if definition is None:
            report["unmapped"].append({"from": path, "value": text, "why": f"{target} is not in the IVI 2.0 schema"})
            return
        try:
            value = parse_leaf(value_text, definition.simple)
        except LeafValueError as exc:
            report["unmapped"].append({"from": path, "value": text, "why": f"not a valid IVI 2.0 {target}: {exc}"})
            return
        if target.startswith("Header."):
            header[target[len("Header."):]] = value
        else:
            _put(coc, target, value)
        entry = {"from": path, "to": target}
        if kind == "transformed":
            entry.update(rule=rule_text, value_from=text, value_to=value)
        report[kind].append(entry)

    def _same_name(self, schema_path, indexes):
        """The 2.0 path of an element IVI 2.0 kept by name, inside the same tables (renamed tables allowed)."""
        parts = schema_path.split(".")
        tables = [TABLE_RENAMES.get(t, t) for t in _table_names(schema_path)]
        candidates = [p for p in self.by_name.get(parts[-1], ()) if _table_names(p) == tables]
        if len(candidates) != 1:
            return None
        out, i = [], 0
        for part in candidates[0].split("."):
            if part.endswith("Table"):
                out.append(f"{part}[{indexes[i]}]")
                i += 1
            else:
                out.append(part)
        return ".".join(out)

    def _definition(self, target):
        node = self.schema.header if target.startswith("Header.") else self.schema.coc
        parts = _INDEX.sub("", target).split(".")
        for part in parts[1:] if target.startswith("Header.") else parts:
            if node.kind == "table":
                node = node.row
            node = node.child(part)
            if node is None:
                return None
        return node if node.kind == "leaf" else None


def _table_names(path):
    return [p for p in _INDEX.sub("", path).split(".") if p.endswith("Table")]


def _leaves(element, path, schema_path):
    """`(path, schema path, row indexes, text)` of every leaf below a 1.11 element."""
    if element is None:
        return
    yield from _walk(element, path, schema_path, [])


def _walk(element, path, schema_path, indexes):
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name.endswith("Table"):
            for i, row in enumerate(r for r in child if isinstance(r.tag, str)):
                yield from _walk(row, f"{path}{name}[{i}].", f"{schema_path}{name}.", indexes + [i])
        elif len(child):
            yield from _walk(child, f"{path}{name}.", f"{schema_path}{name}.", indexes)
        elif etree.QName(child).namespace is None:  # a ds:Signature's parts are not data
            yield f"{path}{name}", f"{schema_path}{name}", indexes, (child.text or "").strip()


def _leaves_by_name(schema):
    """IVI 2.0 leaf name -> schema paths (tables named, their row groups left out, as in JSON paths)."""
    out = {}

    def walk(definition, prefix):
        for child in definition.children:
            path = prefix + child.name
            if child.kind == "leaf":
                out.setdefault(child.name, []).append(path)
            elif child.kind == "group":
                walk(child, path + ".")
            else:
                walk(child.row, path + ".")

    walk(schema.coc, "")
    return out


def _put(document, path, value):
    """Set `value` at a JSON path with row indexes, creating groups and rows on the way."""
    parts = path.split(".")
    node = document
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        match = _INDEX.search(part)
        if match:
            name, index = part[:match.start()], int(match.group(1))
            rows = node.setdefault(name, [])
            while len(rows) <= index:
                rows.append({})
            node = rows[index]
        elif last:
            node[part] = value
        else:
            node = node.setdefault(part, {})


def converter_from_settings(schema_path_20):
    """The converter the rollout service uses, or None when the 1.11 schema is not there (1.11 then refused)."""
    from common.config import settings
    from common.ivi import load_schema

    path = settings().ivi111_schema_path
    if not path or not Path(path).is_file() or not schema_path_20:
        return None
    return Converter(path, load_schema(schema_path_20))
