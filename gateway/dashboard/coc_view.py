"""A CoC as a person reads it: item number, label and value per line, tables as lists of entries.

Input is IVI-shaped data (element names as keys, `*Group` objects, `*Table` lists of group objects), as
stored for a vehicle and as read back from a sealed certificate."""
from common.ivi.labels import item_numbers_apply, label_of

HEADER_ORDER = ("IviReferenceId", "IviVersionNumber", "IviVersionDateTime", "IviVersionNumberXsd",
                "DesignatedTypeApprovalCountry", "IntendedCountryRegistration")


def _item_key(item):
    """"0.2.1" sorts after "0.2" and before "0.4"; lines without a number come last."""
    if not item:
        return (1, ())
    return (0, tuple(int(part) for part in item.split(".") if part.isdigit()))


def lines(data, numbered=True, inherited="", prefix="", ordered=True):
    """The lines of an IVI-shaped object: groups are opened in place, tables become entries of lines.

    `ordered`: sorted by item number, as the paper CoC reads; a table entry keeps its data's order."""
    out = []
    for name, value in data.items():
        item, label = label_of(name, inherited)
        path = f"{prefix}{name}"
        if isinstance(value, dict):  # a *Group: its members stand on their own lines
            out.extend(lines(value, numbered, item, f"{path}.", ordered))
            continue
        line = {"item": item if numbered else "", "label": label, "name": name, "path": path}
        if isinstance(value, list):
            line["entries"] = [lines(row, numbered, item, f"{path}[{i}].", ordered=False) if isinstance(row, dict)
                               else [{"item": "", "label": label, "name": name, "path": f"{path}[{i}]",
                                      "value": row}]
                               for i, row in enumerate(value)]
        else:
            line["value"] = value
        out.append(line)
    if not ordered:
        return out
    return sorted(out, key=lambda line: _item_key(line["item"]))  # stable: same-item lines keep their order


def coc_view(coc, header=None, category=None):
    """{numbered, header: [lines], lines: [lines]}; item numbers only where the EU CoC models number them."""
    numbered = item_numbers_apply(category or coc.get("VehicleCategory"))
    header = header or {}
    ordered = {k: header[k] for k in HEADER_ORDER if k in header}
    ordered.update({k: v for k, v in header.items() if k not in ordered})
    return {"numbered": numbered, "header": lines(ordered, numbered=False), "lines": lines(coc, numbered)}
