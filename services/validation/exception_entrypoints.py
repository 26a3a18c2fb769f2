"""The validation service's exceptions register: a warning accepted for one VIN or one approval revision, with a
reason and an expiry, by someone other than who asked for it; an error is never waived.

A mixin of `services.validation.service.ValidationService`. Asking needs `data_steward` or `reviewer`; deciding
needs `reviewer`. Exceptions of other entities do not exist for the caller."""
import datetime as dt
import uuid

from common.rpc import rpc

from common.contracts.events import EXCEPTION_ACCEPTED, EXCEPTION_REFUSED, EXCEPTION_REQUESTED
from common.contracts.validation import DecisionIn, ExceptionIn
from common.errors import EXPECTED, Conflict, InvalidInput, NotFound, load_or_raise
from common.outbox import utcnow
from services.validation import repository as repo
from services.validation.domain import exceptions as register
from services.validation.domain.pack import PACKS, catalogue


def _rule(rule_id):
    return next((r for r in catalogue(PACKS) if r["id"] == rule_id), None)


def _today():
    return dt.datetime.now(dt.timezone.utc).date()


def exception_dict(row, today):
    out = {k: row[k] for k in ("id", "entity", "rule", "vin", "approval_number", "approval_revision", "reason",
                               "requested_by", "decision", "decided_by", "decision_note")}
    out.update(expires_on=row["expires_on"].isoformat(), requested_at=row["requested_at"].isoformat(),
               decided_at=row["decided_at"].isoformat() if row["decided_at"] else None,
               state=register.state_of(row, today))
    return out


class ExceptionEntrypoints:

    @rpc(expected_exceptions=EXPECTED)
    def request_exception(self, payload):
        self.caller.require("data_steward", "reviewer")
        data = load_or_raise(ExceptionIn(), payload)
        today = _today()
        register.check_request(_rule(data["rule"]), data, today)
        with self.db as uow:
            if data["vin"] is not None:
                report = repo.latest_report(uow.session, data["vin"])
                if report is None:
                    raise NotFound(f"no vehicle {data['vin']} judged by validation")
                entity = report["entity"]
            else:
                entity = data["entity"]
                if entity is None:
                    raise InvalidInput("Say whose approval.", [{"field": "entity", "message": (
                        "an approval-wide exception names the approval's legal entity")}])
            self.caller.scope(entity, f"vehicle {data['vin']}" if data["vin"] else f"entity {entity}")
            row = {"id": str(uuid.uuid4()), "entity": entity, "rule": data["rule"], "vin": data["vin"],
                   "approval_number": data["approval_number"], "approval_revision": data["approval_revision"],
                   "reason": data["reason"], "expires_on": data["expires_on"], "requested_by": self.caller.sub,
                   "requested_at": utcnow(), "decision": None, "decided_by": None, "decided_at": None,
                   "decision_note": None}
            repo.add_exception(uow.session, row)
            uow.emit(EXCEPTION_REQUESTED, {
                "exception_id": row["id"], "rule": row["rule"], "vin": row["vin"],
                "approval_number": row["approval_number"], "approval_revision": row["approval_revision"],
                "reason": row["reason"], "expires_on": row["expires_on"].isoformat()},
                subject=row["vin"] or row["approval_number"], entity=entity)
            uow.commit()
        return exception_dict(row, today)

    @rpc(expected_exceptions=EXPECTED)
    def decide_exception(self, exception_id, accept, payload=None):
        """Accept or refuse an open exception (four-eyes: not the person who asked)."""
        self.caller.require("reviewer")
        data = load_or_raise(DecisionIn(), payload or {})
        with self.db as uow:
            row = repo.load_exception(uow.session, exception_id, for_update=True) \
                if isinstance(exception_id, str) and len(exception_id) <= 36 else None
            if row is None:
                raise NotFound(f"no exception {exception_id}")
            self.caller.scope(row["entity"], f"exception {exception_id}")
            if row["decision"] is not None:
                raise Conflict(f"exception {exception_id} was already {row['decision']}")
            register.check_decider(row, self.caller.sub)
            decision = register.ACCEPTED if accept else register.REFUSED
            at = utcnow()
            repo.decide_exception(uow.session, exception_id, decision, self.caller.sub, data["note"], at)
            common = {"exception_id": exception_id, "rule": row["rule"], "vin": row["vin"],
                      "requested_by": row["requested_by"], "note": data["note"]}
            if accept:
                uow.emit(EXCEPTION_ACCEPTED, dict(common, expires_on=row["expires_on"].isoformat()),
                         subject=row["vin"] or row["approval_number"], entity=row["entity"])
            else:
                uow.emit(EXCEPTION_REFUSED, common, subject=row["vin"] or row["approval_number"],
                         entity=row["entity"])
            uow.commit()
        row.update(decision=decision, decided_by=self.caller.sub, decided_at=at, decision_note=data["note"])
        return exception_dict(row, _today())

    @rpc(expected_exceptions=EXPECTED)
    def exceptions(self, entity=None, vin=None, state=None, limit=100, cursor=None, approval_number=None,
                   older_than_days=None):
        """{items, next_cursor}: the register of the caller's entities, newest request first; `state` filters
        (open, accepted, refused, expired) within the page; `older_than_days`: asked for at least that many days
        ago."""
        self.caller.require(service=True)
        entities = self.caller.entities()
        before = utcnow() - dt.timedelta(days=older_than_days) if older_than_days is not None else None
        with self.db as uow:
            rows = repo.list_exceptions(uow.session, entities, entity, vin, limit, cursor, approval_number, before)
        if rows is None:
            raise InvalidInput("Invalid cursor.", [{"field": "cursor",
                                                    "message": "use next_cursor of the previous page"}])
        today = _today()
        page = rows[:limit]
        items = [exception_dict(r, today) for r in page]
        if state is not None:
            items = [i for i in items if i["state"] == state]
        return {"items": items, "next_cursor": page[-1]["id"] if len(rows) > limit else None}

    @rpc(expected_exceptions=EXPECTED)
    def waived(self, vins):
        """{vin: [{rule, exception_id, expires_on, decided_by, reason}]}: the warnings of each VIN's latest report
        that an accepted, unexpired exception covers (an expired one covers nothing: the warning stands again)."""
        self.caller.require(service=True)
        entities = self.caller.entities()
        today = _today()
        with self.db as uow:
            reports = [r for r in repo.latest_reports(uow.session, list(vins)[:1000]).values()
                       if entities is None or r["entity"] in entities]
            found = repo.exceptions_for(uow.session, reports) if reports else []
        out = {}
        for report in reports:
            for finding in report["findings"]:
                for exc in found:
                    if exc["entity"] == report["entity"] and register.covers(exc, finding, report, today):
                        out.setdefault(report["vin"], []).append({
                            "rule": exc["rule"], "exception_id": exc["id"], "expires_on": exc["expires_on"].isoformat(),
                            "decided_by": exc["decided_by"], "reason": exc["reason"]})
                        break
        return out
