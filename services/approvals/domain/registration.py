"""What an approval may hold: type-level CoC data, version identities and approved ranges, each problem
named by its field (`coc.MassGroup.ActualMass`, `versions[1].coc.AxleTable[0].AxleNumber`,
`versions[0].ranges.MassGroup.MassInRunningOrder.min`).

`schema` is the IVI schema (`common.ivi.IviSchema`); without one the CoC data is not judged (the
service says at start that schema checks are off) and only the shape of the ranges is.
"""
from common.ivi.document import as_field_errors, check_coc, check_value, document_checker
from common.ivi.values import LeafValueError, to_decimal
from services.approvals.domain.entities import naming_problem
from services.approvals.domain.model import IDENTITY, deep_merge, key_text, version_key


def registration_errors(schema, data, legal_name):
    """Every problem of a registration (shaped by `ApprovalIn`) for the entity called `legal_name`."""
    errors = []
    if schema is not None:
        problem = check_value(schema, "VehicleCategory", data["category"])
        if problem:
            errors.append({"field": "category", "message": problem})
    errors += coc_errors(schema, data["coc"], "coc")
    errors += versions_errors(schema, data["versions"], "versions")
    if not errors:
        errors += naming_errors(legal_name, data["coc"], [v["coc"] for v in data["versions"]])
    return errors


def coc_errors(schema, coc, prefix):
    """Type-level CoC data: no identity element (the approval holds those), nothing vehicle-level."""
    errors = [{"field": f"{prefix}.{name}", "message": f"{name} is given by the field `{IDENTITY[name]}`, not by coc"}
              for name in coc if name in IDENTITY]
    if schema is not None:
        rest = {name: value for name, value in coc.items() if name not in IDENTITY}
        errors += as_field_errors(check_coc(schema, rest, level="type"), prefix)
    return errors


def versions_errors(schema, versions, prefix):
    errors, seen = [], {}
    for index, version in enumerate(versions):
        here = f"{prefix}[{index}]"
        key = version_key(version)
        if key in seen:
            errors.append({"field": here, "message": f"{key_text(key)} is listed twice ({prefix}[{seen[key]}])"})
        seen.setdefault(key, index)
        if schema is not None:
            for element in ("Type", "Variant", "Version"):
                field = IDENTITY[element]
                problem = check_value(schema, element, version[field])
                if problem:
                    errors.append({"field": f"{here}.{field}", "message": problem})
        errors += coc_errors(schema, version["coc"], f"{here}.coc")
        errors += ranges_errors(schema, version["ranges"], f"{here}.ranges")
    return errors


def ranges_errors(schema, ranges, prefix):
    """Approved ranges `{ivi_path: {"min": n, "max": n}}`: a numeric element, both ends valid, min <= max."""
    errors = []
    for path, bounds in ranges.items():
        here = f"{prefix}.{path}"
        if schema is not None:
            problem = _range_path_problem(schema, path)
            if problem:
                errors.append({"field": here, "message": problem})
                continue
        if not isinstance(bounds, dict) or set(bounds) != {"min", "max"}:
            errors.append({"field": here, "message": "a range is an object with exactly `min` and `max`"})
            continue
        ends = {}
        for end in ("min", "max"):
            problem = _number_problem(schema, path, bounds[end])
            if problem:
                errors.append({"field": f"{here}.{end}", "message": problem})
            else:
                ends[end] = to_decimal(bounds[end])
        if len(ends) == 2 and ends["min"] > ends["max"]:
            errors.append({"field": here, "message": f"min {bounds['min']} is above max {bounds['max']}"})
    return errors


def _range_path_problem(schema, path):
    try:
        node = document_checker(schema).node(path)
    except KeyError:
        return "no element at this IVI path (a path below CocDataGroup, e.g. MassGroup.MassInRunningOrder)"
    if node.simple is None or not node.simple.is_numeric:
        return f"{node.name} is not a numeric element: ranges are approved for numbers only"
    return None


def _number_problem(schema, path, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"expected a number, got {value!r}"
    if schema is not None:
        return check_value(schema, path, value)
    try:
        to_decimal(value)
    except LeafValueError as exc:
        return str(exc)
    return None


def naming_errors(legal_name, coc, version_cocs):
    """The entity must be the manufacturer or EU representative the data names (checked per version)."""
    if legal_name is None:
        return []
    problems = {naming_problem(legal_name, deep_merge(coc, own)) for own in version_cocs or [{}]}
    return [{"field": "entity", "message": p} for p in sorted(problems - {None})]
