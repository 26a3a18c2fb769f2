"""What a reviewer reads beside the pinned content (plain Python, no I/O): a field-by-field diff against the VIN's
last certificate, the values that come from the vehicle for a first issue, every finding with the CoC item and
label of its field, and the vehicle's history labelled the same way.

Values are compared as text: a certificate read back from XML and the composed JSON content may spell the same
number differently (1500 and "1500")."""
import re

from common.ivi.labels import label_of
from gateway.dashboard.coc_view import _item_key
from gateway.dashboard.view import labelled_finding

_NAME = re.compile(r"([A-Za-z0-9]+)(?:\[\d+\])?$")
_SEVERITY_ORDER = {"error": 0, "warning": 1}
# what sealing adds to the reviewed content (`services.signing.domain.issuance.signing_authority`): who signed it,
# where and when, which is no change of the vehicle's data
SEALING_ADDS = ("SigningAuthorityTable",)


def flatten(data, prefix=""):
    """{path: value} of every leaf of IVI-shaped data; table entries are numbered (`AxleTable[0].AxleNumber`)."""
    out = {}
    if isinstance(data, dict):
        for name, value in data.items():
            out.update(flatten(value, f"{prefix}.{name}" if prefix else name))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.update(flatten(value, f"{prefix}[{i}]"))
    else:
        out[prefix] = data
    return out


def labelled(path):
    """(item, label) of the CoC field a path names: its last element's."""
    match = _NAME.search(path.rsplit(".", 1)[-1])
    return label_of(match.group(1)) if match else ("", "")


def _text(value):
    return "" if value is None else str(value)


def field_diff(certified, after):
    """[{path, item, label, change, before, after}] for every field of `after` that differs from the `certified`
    CoC (what sealing added left out), in CoC item order; `change` is added, removed or changed."""
    old = flatten({k: v for k, v in (certified or {}).items() if k not in SEALING_ADDS})
    new = flatten(after or {})
    changes = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path), new.get(path)
        if path in old and path in new and _text(a) == _text(b):
            continue
        item, label = labelled(path)
        change = "added" if path not in old else "removed" if path not in new else "changed"
        changes.append({"path": path, "item": item, "label": label, "change": change, "before": a, "after": b})
    return sorted(changes, key=lambda c: _item_key(c["item"]))


def vehicle_values(coc):
    """[{path, item, label, value}] of the vehicle's own data (what a first issue takes from the vehicle rather than
    from the approval), in CoC item order."""
    lines = []
    for path, value in flatten(coc or {}).items():
        item, label = labelled(path)
        lines.append({"path": path, "item": item, "label": label, "value": value})
    return sorted(lines, key=lambda line: _item_key(line["item"]))


def all_findings(findings):
    """Every finding, errors before warnings, each with the item and label of its field."""
    ordered = sorted(findings or [], key=lambda f: _SEVERITY_ORDER.get(f.get("severity"), 2))
    return [labelled_finding(f) for f in ordered]


def labelled_history(history):
    """The vehicle's revisions, newest first, each change with the item and label of its field."""
    out = []
    for entry in reversed(history or []):
        changes = []
        for change in entry.get("diff") or []:
            path = change.get("path") or ""
            # CoC data is named by item and label; the record's own fields (approval number, country) by name
            item, label = labelled(path) if path.startswith("coc.") else ("", path.replace("_", " "))
            changes.append(dict(change, item=item, label=label))
        out.append(dict(entry, changes=changes))
    return out


def _revision(resolved):
    return {k: resolved.get(k) for k in ("number", "revision", "issue_date", "in_force_revision")}


def approval_change(shown, certified_item=None, certified=None, first_issue=False):
    """The approval side of a review: the approval revision whose type-level data the page shows (`shown`, a
    `resolve` answer), the revision the VIN's last certificate was composed from (`certified_item`, its release
    item; `certified`, the `resolve` answer for that revision) and the type-level fields that differ between the
    two, labelled as the CoC shows them. `first_issue`: the VIN has no certificate yet."""
    out = {"first_issue": first_issue, "shown": None, "problem": None, "certified": None,
           "certified_problem": None, "changes": None}
    if shown.get("ok"):
        out["shown"] = _revision(shown)
    else:
        out["problem"] = shown.get("message")
    if first_issue or certified_item is None:
        return out  # a certificate not composed from one of our releases (legacy) names no revision
    out["certified"] = {"number": certified_item["approval_number"], "revision": certified_item["approval_revision"],
                        "version_number": certified_item["version_number"]}
    if certified is None or not certified.get("ok"):
        out["certified_problem"] = (certified or {}).get("message")
    elif shown.get("ok"):
        out["changes"] = field_diff(certified["coc"], shown["coc"])
    return out
