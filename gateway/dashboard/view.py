"""The dashboard's content, assembled from the services' answers (plain Python, no I/O)."""
import re
from urllib.parse import urlencode

from common.ivi.labels import label_of

STATES = ("draft", "valid", "blocked", "in_review", "approved", "released", "withdrawn")
TOP_FINDINGS = 3
_SEVERITY_ORDER = {"error": 0, "warning": 1}
_LAST_NAME = re.compile(r"([A-Za-z0-9]+)(?:\[\d+\])?$")


def coc_link(vin):
    return f"/dashboard/vehicles/{vin}/coc"


def release_link(release_id):
    return f"/dashboard/releases/{release_id}"


def release_item_link(release_id, vin):
    return f"/dashboard/releases/{release_id}/items/{vin}"


def labelled_finding(finding):
    """A finding with the CoC item and label of the field it concerns (`path` is an IVI path)."""
    match = _LAST_NAME.search(finding.get("path") or "")
    item, label = label_of(match.group(1)) if match else ("", "")
    return dict(finding, item=item, label=label)


def top_findings(findings, limit=TOP_FINDINGS):
    """Errors before warnings, in the order validation reported them; at most `limit`."""
    ordered = sorted(findings or [], key=lambda f: _SEVERITY_ORDER.get(f.get("severity"), 2))
    return [labelled_finding(f) for f in ordered[:limit]]


def _zero():
    return {state: 0 for state in STATES}


def delivery_exception(delivery):
    """A rejected or failed delivery as the dashboard lists it: who owns it and the authority's first error."""
    first = (delivery.get("errors") or [{}])[0]
    return {"vin": delivery["vin"], "version_number": delivery["version_number"], "entity": delivery["entity"],
            "state": delivery["state"], "target": delivery["target_name"], "owner": delivery.get("owner"),
            "since": delivery.get("finished_at"), "id": delivery["id"],
            "reason": (f"{first.get('code')}: {first.get('message')}" if first.get("code")
                       else delivery.get("last_error")),
            "error_count": len(delivery.get("errors") or []), "coc_view": coc_link(delivery["vin"])}


def dashboard(vehicles_answer, seals, generated_at, entity=None, country=None, deliveries=()):
    """{generated_at, filters, states, entities: [...], expiring_seals: [...], delivery_exceptions: [...]} from
    `vehicles.dashboard`, `signing.seal_statuses` and `delivery.exceptions` answers. An entity appears when it has
    vehicles or a seal the caller may see."""
    entities = {}

    def of(code):
        return entities.setdefault(code, {"entity": code, "counts": _zero(), "total": 0, "countries": {},
                                          "blocked": [], "releases": [], "seal": None})

    for row in vehicles_answer["counts"]:
        e = of(row["entity"])
        per_country = e["countries"].setdefault(row["country"], {"country": row["country"], "counts": _zero(),
                                                                 "total": 0})
        for target in (e, per_country):
            target["counts"][row["status"]] = target["counts"].get(row["status"], 0) + row["count"]
            target["total"] += row["count"]
    for vehicle in vehicles_answer["blocked"]:
        of(vehicle["entity"])["blocked"].append({
            "vin": vehicle["vin"], "country": vehicle["intended_country"], "revision": vehicle["revision"],
            "approval_number": vehicle["approval_number"], "since": vehicle["updated_at"],
            "findings": top_findings(vehicle["findings"]), "finding_count": len(vehicle["findings"] or []),
            "coc_view": coc_link(vehicle["vin"])})
    for release in vehicles_answer["releases"]:
        shown = {k: release[k] for k in ("id", "status", "waiting_for", "vehicles", "countries", "note",
                                         "requested_by", "requested_at", "reviewed_by", "reviewed_at")}
        of(release["entity"])["releases"].append(dict(shown, link=release_link(release["id"])))
    for seal in seals:
        if entity and seal["entity"] != entity:
            continue
        if seal["entity"] in entities or not country:
            of(seal["entity"])["seal"] = seal

    ordered = []
    for code in sorted(entities):
        e = entities[code]
        # vehicles naming no country (optional in IVI 2.0) count under `null`, last
        e["countries"] = [e["countries"][c] for c in sorted(e["countries"], key=lambda c: (c is None, c or ""))]
        ordered.append(e)
    expiring = [s for s in seals if s.get("state") in ("expiring", "expired", "not_yet_valid", "unusable")
                and (not entity or s["entity"] == entity)]
    return {"generated_at": generated_at, "filters": {"entity": entity, "country": country}, "states": list(STATES),
            "entities": ordered, "expiring_seals": expiring,
            "delivery_exceptions": [delivery_exception(d) for d in deliveries
                                    if not entity or d["entity"] == entity]}


def next_page_link(path, query, cursor):
    """The link to the next page of a paged list page, its filters kept; None on the last page."""
    if cursor is None:
        return None
    params = {k: v for k, v in query.items() if k != "cursor" and v is not None and v != ""}
    return f"{path}?{urlencode(dict(params, cursor=cursor))}"
