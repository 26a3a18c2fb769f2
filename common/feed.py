"""The change feed: what an integrator sees of an event, in GET /v1/events and in webhook deliveries.

The feed is served from the audit log, which records every service's events in one order (`seq`), each with its
entity and subjects. An integrator does not need, and must not get, the whole envelope: CoC data, signatory details
and other vehicles' parts stay in the log. Each event type keeps a small summary instead: state changes, findings
counts, release ids, certificate reference id and version. A type this module does not know yet is shown with an
empty `data`, never with the producer's payload.

Cursor: the id of the last event read. It names nothing the caller has not seen, so it says nothing of other
entities' events (not how many happened in between, unlike a sequence number would), and it stays valid across
restarts, replicas and backups because the event id is stored with the entry.
"""
from common.contracts import events as ev

MAX_TYPES = 50
# A page ends early once its events name this many subjects: a page of a hundred events of 1,000-vehicle batches
# would be ~10 MB of JSON to read, encode and decode at every hop.
PAGE_SUBJECTS = 5_000


def _vins(items):
    return [item.get("vin") for item in items or [] if isinstance(item, dict)]


def _pick(item, *keys):
    return {key: item.get(key) for key in keys} if isinstance(item, dict) else {}


def _each(items, *keys):
    return [_pick(item, *keys) for item in items or [] if isinstance(item, dict)]


def _findings(result):
    findings = [f for f in result.get("findings") or [] if isinstance(f, dict)]
    return {"errors": sum(1 for f in findings if f.get("severity") == "error"),
            "warnings": sum(1 for f in findings if f.get("severity") == "warning")}


def _validation(data):
    return {"results": [dict(_pick(r, "vin", "revision", "status"), findings=_findings(r))
                        for r in data.get("results") or [] if isinstance(r, dict)]}


def _certificate(data):
    cert = data.get("certificate")
    return _pick(cert, "reference_id", "version_number") if isinstance(cert, dict) else None


SUMMARIES = {
    ev.APPROVAL_REGISTERED: lambda d: _pick(d, "id", "number", "revision"),
    ev.APPROVAL_EXTENDED: lambda d: _pick(d, "id", "number", "revision", "extension", "issue_date",
                                          "previous_number"),
    ev.APPROVAL_WITHDRAWN: lambda d: _pick(d, "id", "number", "effective_date", "reason"),
    ev.APPROVAL_VERSION_ADDED: lambda d: _pick(d, "id", "number", "revision", "type", "variant", "version"),
    ev.ENTITY_CHANGED: lambda d: _pick(d, "code", "revision"),
    ev.VEHICLE_CHANGED: lambda d: {"vehicles": _each(d.get("vehicles"), "vin", "revision")},
    ev.VEHICLE_STATUS_CHANGED: lambda d: {"vehicles": _each(d.get("vehicles"), "vin", "status")},
    ev.VEHICLE_WITHDRAWN: lambda d: dict(_pick(d, "vin", "revision", "reason"), certificate=_certificate(d)),
    ev.VEHICLE_DELETED: lambda d: _pick(d, "vin", "revision", "status", "reason"),
    ev.VEHICLE_STAGE_IMPORTED: lambda d: _pick(d, "vin", "stage", "approval_number", "type", "variant", "version",
                                               "stage_of_completion"),
    ev.RELEASE_REQUESTED: lambda d: _pick(d, "release_id", "vins"),
    ev.RELEASE_APPROVED: lambda d: _pick(d, "release_id", "vins"),
    ev.RELEASE_REJECTED: lambda d: _pick(d, "release_id", "vins", "reason"),
    ev.RELEASE_SIGN_REQUESTED: lambda d: dict(_pick(d, "release_id"), vins=_vins(d.get("vehicles"))),
    ev.RELEASE_COMPLETED: lambda d: dict(_pick(d, "release_id", "status", "released"),
                                         failures=_each(d.get("failures"), "vin", "reason")),
    ev.RELEASE_ITEM_REOPENED: lambda d: _pick(d, "release_id", "vins", "reason", "release_status"),
    ev.VALIDATION_COMPLETED: _validation,
    ev.CERTIFICATE_SIGNED: lambda d: dict(_pick(d, "release_id"), certificates=_each(
        d.get("certificates"), "vin", "reference_id", "version_number")),
    ev.CERTIFICATE_FAILED: lambda d: dict(_pick(d, "release_id"), failures=_each(d.get("failures"), "vin", "reason")),
    ev.CERTIFICATE_SUPERSEDED: lambda d: {"certificates": _each(d.get("certificates"), "vin", "reference_id",
                                                                 "version_number")},
    ev.CERTIFICATE_WITHDRAWN: lambda d: _pick(d, "vin", "reference_id", "version_number", "reason"),
    ev.PAPER_PRINTED: lambda d: dict(_pick(d, "release_id", "form"), prints=_each(
        d.get("prints"), "vin", "reference_id", "version_number", "print_number")),
    ev.PAPER_LAYOUT_CHANGED: lambda d: {"changed": sorted(d.get("settings") or {})},
    ev.SCOPE_CHANGED: lambda d: dict(_pick(d, "change", "generation"),
                                     scope=_pick(d.get("scope") or {}, "id", "name", "mode", "revision")),
    ev.CUTOVER_REQUESTED: lambda d: _pick(d, "scope_id", "report_digest", "parity_rate", "volume"),
    ev.LEGACY_RECEIVED: lambda d: {"documents": _each(d.get("documents"), "id", "vin", "format", "reference_id",
                                                      "version_number")},
    ev.PARITY_COMPUTED: lambda d: {"results": _each(d.get("results"), "vin", "match", "differences")},
    ev.DELIVERY_TARGET_CHANGED: lambda d: _pick(d, "name", "revision", "profile", "enabled"),
    ev.DELIVERY_QUEUED: lambda d: dict(_pick(d, "trigger"), deliveries=_each(
        d.get("deliveries"), "id", "vin", "reference_id", "version_number", "target")),
    ev.DELIVERY_ACCEPTED: lambda d: dict(_pick(d, "receipt_id", "attempts", "duplicate"), delivery=_pick(
        d.get("delivery") or {}, "id", "vin", "reference_id", "version_number", "target")),
    ev.DELIVERY_REJECTED: lambda d: dict(_pick(d, "receipt_id", "attempts", "owner"), errors=_each(
        d.get("errors"), "code", "path", "message"), delivery=_pick(
        d.get("delivery") or {}, "id", "vin", "reference_id", "version_number", "target")),
    ev.DELIVERY_FAILED: lambda d: dict(_pick(d, "attempts", "owner", "last_error"), delivery=_pick(
        d.get("delivery") or {}, "id", "vin", "reference_id", "version_number", "target")),
    ev.PAPER_JOB_REQUESTED: lambda d: _pick(d, "job_id", "release_id", "form", "count"),
    ev.PAPER_JOB_FAILED: lambda d: _pick(d, "job_id", "release_id", "reason"),
    ev.COMMENT_ADDED: lambda d: _pick(d, "comment_id", "vin", "release_id"),
    ev.TEAM_SAVED: lambda d: _pick(d, "team_id", "name"),
    ev.OWNERSHIP_RULE_ADDED: lambda d: _pick(d, "rule_id", "team_id", "field", "pattern", "position"),
    ev.OWNERSHIP_RULE_REMOVED: lambda d: _pick(d, "rule_id", "team_id", "field", "pattern"),
    ev.WORK_ASSIGNED: lambda d: _pick(d, "kind", "item_id", "assignee", "team_id", "previous"),
    ev.WORK_UNASSIGNED: lambda d: _pick(d, "kind", "item_id", "assignee"),
    ev.EXCEPTION_REQUESTED: lambda d: _pick(d, "exception_id", "rule", "vin", "approval_number", "approval_revision"),
    ev.EXCEPTION_ACCEPTED: lambda d: _pick(d, "exception_id", "rule", "vin", "expires_on"),
    ev.EXCEPTION_REFUSED: lambda d: _pick(d, "exception_id", "rule", "vin"),
    ev.WEBHOOK_CREATED: lambda d: _pick(d, "webhook_id", "event_types"),
    ev.WEBHOOK_UPDATED: lambda d: _pick(d, "webhook_id", "changed", "active"),
    ev.WEBHOOK_DELETED: lambda d: _pick(d, "webhook_id"),
    ev.WEBHOOK_DISABLED: lambda d: _pick(d, "webhook_id", "reason", "failing_since"),
    ev.WEBHOOK_PINGED: lambda d: _pick(d, "webhook_id", "delivery_id"),
    ev.WEBHOOK_REDELIVERED: lambda d: _pick(d, "webhook_id", "delivery_id", "event_id"),
}

FEED_TYPES = tuple(SUMMARIES)


def summary(event_type, data):
    """The small payload of an event of `event_type` ({} for a type the feed does not know)."""
    shape = SUMMARIES.get(event_type)
    return shape(data) if shape is not None and isinstance(data, dict) else {}


def feed_event(entry, canonical_time):
    """The feed's view of an audit entry (a row of audit_entries as a dict)."""
    payload = entry["payload"] if isinstance(entry["payload"], dict) else {}
    return {
        "id": str(entry["event_id"]),
        "type": entry["event_type"],
        "source": entry["source"],
        "occurred_at": canonical_time(entry["occurred_at"]),
        "entity": entry["entity"],
        "subject": entry["subject"],
        "subjects": list(entry["subjects"]),
        "actor": entry["actor"],
        "data": summary(entry["event_type"], payload.get("data")),
    }


def page_length(subject_counts, budget=PAGE_SUBJECTS):
    """How many of the next events (their numbers of subjects, in order) make a page: as many as stay within
    `budget` subjects, the first one always."""
    total = 0
    for n, count in enumerate(subject_counts):
        total += count
        if n and total > budget:
            return n
    return len(subject_counts)


def parse_types(types):
    """The event types a `types` filter names (a comma-separated text or a list), or None for every type;
    (types, errors) with an error naming the field for an unknown type."""
    if types in (None, "", []):
        return None, []
    names = types.split(",") if isinstance(types, str) else types
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(names) > MAX_TYPES:
        return None, [{"field": "types", "message": f"at most {MAX_TYPES} event types, comma-separated"}]
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in SUMMARIES]
    if unknown:
        return None, [{"field": "types", "message": f"unknown event type {unknown[0][:80]!r}; one of: "
                       + ", ".join(FEED_TYPES)}]
    return list(dict.fromkeys(names)) or None, []
