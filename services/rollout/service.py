"""rollout: introducing ecoc beside a legacy system, scope by scope, with parity shown before any cut-over.

Scopes select part of an entity's production (`common.rollout_scopes`) and give it a mode: off, shadow, live.
Every save of a scope publishes the entity's whole scope set (`scope_changed`), from which the vehicles service
keeps the copy its release path asks. The legacy system's eCoCs come in byte-exact (`domain.legacy`); ecoc's side
is the composition of each vehicle, kept from `vehicle_changed`; parity compares the two (`domain.parity`) and a
scope's report (`domain.report`) decides its cut-over gate. Going live is a four-eyes decision that records the
report's digest; going back to shadow is immediate.
"""
import base64
import logging
import uuid

import eventlet
from eventlet import tpool
from common.rpc import rpc

from common.composition import reviewed_content
from common.config import settings
from common.contracts.events import (CUTOVER_REQUESTED, LEGACY_RECEIVED, PARITY_COMPUTED, SCOPE_CHANGED,
                                     VEHICLE_CHANGED)
from common.contracts.rollout import CutoverIn, ExplanationIn, RollbackIn, ScopeIn, ScopePatch
from common.dependencies import Database, Identity, IviSchema
from common.errors import EXPECTED, Conflict, FourEyes, InvalidInput, NotFound, load_or_raise
from common.events import on_event
from common.health import Health
from common.ops import Ops
from common.outbox import utcnow
from common.resolution_plan import ResolutionPlan
from common.rollout_scopes import conflicting, normalised, scope_of, subject_of
from common.rpc import ServiceRpc
from services.rollout import repository as repo
from services.rollout.dependencies import ShadowSealer
from services.rollout.domain.ivi111 import converter_from_settings
from services.rollout.domain.legacy import LegacyInputError, read_document, seal_of, unpack
from services.rollout.domain.parity import compare
from services.rollout.domain.report import Gate, parity_report
from services.rollout.domain.shadow_seal import seal_in_shadow
from services.rollout.models import inbox, outbox, scopes

log = logging.getLogger(__name__)

MANAGER = "admin"  # saves scopes and takes cut-over decisions (four-eyes: two different people)
CHUNK = 250


def _gate():
    s = settings()
    return Gate(s.rollout_parity_threshold, s.rollout_min_volume, s.rollout_window_days)


def scope_out(row):
    """A scope as the API shows it (and as `scope_changed` carries it)."""
    out = {k: row[k] for k in ("id", "entity", "name", "selector", "mode", "revision", "cutover", "explanations",
                               "created_by", "updated_by")}
    out["created_at"], out["updated_at"] = row["created_at"].isoformat(), row["updated_at"].isoformat()
    return out


class RolloutService(Health):
    name = "rollout"

    db = Database(outbox, inbox)
    caller = Identity()
    ops = Ops()  # /livez, /readyz, /metrics; measures every worker
    ivi = IviSchema()
    ivi111 = IviSchema(converter_from_settings)  # None without the 1.11 schema: 1.11 messages are refused
    shadow_sealer = ShadowSealer()  # the in-memory test seal of shadow mode
    approvals = ServiceRpc("approvals")
    validation = ServiceRpc("validation")

    health_table = scopes

    def health_details(self):
        return {"ivi_schema": self.ivi is not None, "ivi111_schema": self.ivi111 is not None}

    # -- scopes --------------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_scopes(self, entity=None):
        entities = self.caller.entities(service=True)
        with self.db as uow:
            found = repo.scopes_of(uow.session, entity, entities)
        return [scope_out(s) for s in found]

    @rpc(expected_exceptions=EXPECTED)
    def get_scope(self, scope_id):
        with self.db as uow:
            return scope_out(self._scope(uow, scope_id))

    def _scope(self, uow, scope_id, for_update=False):
        found = repo.load_scope(uow.session, scope_id, for_update=for_update)
        if found is None:
            raise NotFound(f"no rollout scope {scope_id}")
        self.caller.scope(found["entity"], f"rollout scope {scope_id}", service=True)
        return found

    @rpc(expected_exceptions=EXPECTED)
    def create_scope(self, payload):
        caller = self.caller.require(MANAGER)
        data = load_or_raise(ScopeIn(), payload)
        entities = self.caller.entities(MANAGER)
        if entities is not None and data["entity"] not in entities:
            raise InvalidInput("Unknown legal entity.", [{"field": "entity", "message": f"no legal entity "
                                                                                          f"{data['entity']}"}])
        now = utcnow()
        with self.db as uow:
            generation = repo.lock_entity(uow.session, data["entity"])
            row = {"id": str(uuid.uuid4()), "entity": data["entity"], "name": data["name"],
                   "selector": normalised(data["selector"]), "mode": data["mode"], "revision": 1, "cutover": None,
                   "explanations": {}, "created_at": now, "created_by": caller["sub"], "updated_at": now,
                   "updated_by": caller["sub"]}
            self._check_saved(uow, row)
            repo.add_scope(uow.session, row)
            self._emit_scopes(uow, row, generation, "created")
            uow.commit()
        return scope_out(row)

    def _check_saved(self, uow, row):
        if repo.name_taken(uow.session, row["entity"], row["name"], other_than=row["id"]):
            raise Conflict(f"the entity has a rollout scope named {row['name']!r} already",
                           [{"field": "name", "message": "taken"}])
        others = [s for s in repo.scopes_of(uow.session, row["entity"]) if s["id"] != row["id"]]
        clash = conflicting(row["selector"], others)
        if clash is not None:
            raise Conflict(f"the selector overlaps scope {clash['name']!r} ({clash['id']}), which is as specific: "
                           "a vehicle must fall in exactly one scope (name more, or different, criteria)",
                           [{"field": "selector", "message": f"overlaps scope {clash['name']!r} of equal "
                                                             "specificity"}])

    def _emit_scopes(self, uow, row, generation, change, **extra):
        entity = row["entity"]
        everything = [scope_out(s) for s in repo.scopes_of(uow.session, entity)]
        uow.emit(SCOPE_CHANGED, {"entity": entity, "generation": generation, "change": change,
                                 "scope": scope_out(row), "scopes": everything, **extra},
                 subject=row["id"], entity=entity)

    @rpc(expected_exceptions=EXPECTED)
    def update_scope(self, scope_id, payload):
        caller = self.caller.require(MANAGER)
        data = load_or_raise(ScopePatch(), payload)
        with self.db as uow:
            row = self._scope(uow, scope_id)
            generation = repo.lock_entity(uow.session, row["entity"])
            row = repo.load_scope(uow.session, scope_id, for_update=True)
            if row["mode"] == "live" and ("selector" in data or "mode" in data):
                field = "selector" if "selector" in data else "mode"
                raise Conflict("the scope is live: its selector and mode change only by a roll-back to shadow "
                               "(POST …/rollback) and a new cut-over", [{"field": field, "message": "scope is live"}])
            changes = {k: v for k, v in data.items()}
            if "selector" in changes:
                changes["selector"] = normalised(changes["selector"])
            row.update(changes, revision=row["revision"] + 1, updated_at=utcnow(), updated_by=caller["sub"])
            if "selector" in changes or "mode" in changes:
                row["cutover"] = None  # a pending request was about what the scope selected before
            self._check_saved(uow, row)
            repo.update_scope(uow.session, scope_id, **{k: row[k] for k in (*changes, "revision", "updated_at",
                                                                             "updated_by", "cutover")})
            self._emit_scopes(uow, row, generation, "updated")
            uow.commit()
        return scope_out(row)

    @rpc(expected_exceptions=EXPECTED)
    def rollback(self, scope_id, payload):
        """live -> shadow at once: ecoc stops issuing for the scope; certificates already issued stay valid."""
        caller = self.caller.require(MANAGER)
        data = load_or_raise(RollbackIn(), payload)
        with self.db as uow:
            row = self._scope(uow, scope_id)
            generation = repo.lock_entity(uow.session, row["entity"])
            row = repo.load_scope(uow.session, scope_id, for_update=True)
            if row["mode"] != "live":
                raise Conflict(f"the scope is {row['mode']}, not live: there is nothing to roll back",
                               [{"field": "mode", "message": row["mode"]}])
            row.update(mode="shadow", revision=row["revision"] + 1, updated_at=utcnow(), updated_by=caller["sub"],
                       cutover=None)
            repo.update_scope(uow.session, scope_id, mode="shadow", revision=row["revision"],
                              updated_at=row["updated_at"], updated_by=caller["sub"], cutover=None)
            self._emit_scopes(uow, row, generation, "rolled_back", reason=data["reason"], previous_mode="live")
            uow.commit()
        return scope_out(row)

    @rpc(expected_exceptions=EXPECTED)
    def explain(self, scope_id, payload):
        """A mismatch of a field explained (e.g. the legacy system rounds differently): the gate lets it pass."""
        caller = self.caller.require(MANAGER)
        data = load_or_raise(ExplanationIn(), payload)
        with self.db as uow:
            row = self._scope(uow, scope_id)
            generation = repo.lock_entity(uow.session, row["entity"])
            row = repo.load_scope(uow.session, scope_id, for_update=True)
            explanations = dict(row["explanations"] or {})
            explanations[data["path"]] = {"reason": data["reason"], "by": caller["sub"],
                                          "at": utcnow().isoformat()}
            row.update(explanations=explanations, revision=row["revision"] + 1, updated_at=utcnow(),
                       updated_by=caller["sub"])
            repo.update_scope(uow.session, scope_id, explanations=explanations, revision=row["revision"],
                              updated_at=row["updated_at"], updated_by=caller["sub"])
            self._emit_scopes(uow, row, generation, "explained", path=data["path"])
            uow.commit()
        return scope_out(row)

    # -- cut-over ------------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def request_cutover(self, scope_id, payload):
        """shadow -> live, first step: the gate must hold; another person approves."""
        caller = self.caller.require(MANAGER)
        data = load_or_raise(CutoverIn(), payload)
        with self.db as uow:
            row = self._scope(uow, scope_id, for_update=True)
            if row["mode"] != "shadow":
                raise Conflict(f"the scope is {row['mode']}: only a shadow scope goes live",
                               [{"field": "mode", "message": row["mode"]}])
            report = self._report(uow, row)
            self._gate_holds(report)
            row["cutover"] = {"requested_by": caller["sub"], "requested_at": utcnow().isoformat(),
                              "report_digest": report["digest"], "note": data["note"]}
            repo.update_scope(uow.session, scope_id, cutover=row["cutover"])
            uow.emit(CUTOVER_REQUESTED, {"scope_id": row["id"], "report_digest": report["digest"],
                                         "gate": report["gate"], "parity_rate": report["parity_rate"],
                                         "volume": report["volume"], "note": data["note"]},
                     subject=row["id"], entity=row["entity"])
            uow.commit()
        return scope_out(row)

    @rpc(expected_exceptions=EXPECTED)
    def approve_cutover(self, scope_id):
        """shadow -> live, second step, by someone other than the requester; the gate must still hold."""
        caller = self.caller.require(MANAGER)
        with self.db as uow:
            row = self._scope(uow, scope_id)
            generation = repo.lock_entity(uow.session, row["entity"])
            row = repo.load_scope(uow.session, scope_id, for_update=True)
            pending = row["cutover"]
            if row["mode"] != "shadow" or not pending:
                raise Conflict("no cut-over of this scope is waiting for approval",
                               [{"field": "cutover", "message": "none requested"}])
            if pending["requested_by"] == caller["sub"]:
                raise FourEyes(f"{caller['sub']} requested this cut-over: another person approves it")
            report = self._report(uow, row)
            self._gate_holds(report)
            decision = {**pending, "approved_by": caller["sub"], "approved_at": utcnow().isoformat(),
                        "report_digest": report["digest"], "requested_report_digest": pending["report_digest"],
                        "parity_rate": report["parity_rate"], "volume": report["volume"]}
            row.update(mode="live", cutover=None, revision=row["revision"] + 1, updated_at=utcnow(),
                       updated_by=caller["sub"])
            repo.update_scope(uow.session, scope_id, mode="live", cutover=None, revision=row["revision"],
                              updated_at=row["updated_at"], updated_by=caller["sub"])
            self._emit_scopes(uow, row, generation, "cut_over", decision=decision, previous_mode="shadow")
            uow.commit()
        return {**scope_out(row), "decision": decision}

    @staticmethod
    def _gate_holds(report):
        gate = report["gate"]
        if not gate["holds"]:
            raise Conflict("The cut-over gate does not hold: " + "; ".join(gate["reasons"]),
                           [{"field": "gate", "message": reason} for reason in gate["reasons"]])

    # -- parity reports ------------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def parity(self, scope_id, with_rows=False):
        """The scope's parity report (`domain.report`); with `with_rows` also the rows behind it (CSV export)."""
        with self.db as uow:
            row = self._scope(uow, scope_id)
            report = self._report(uow, row, keep_rows=with_rows)
        return report

    @rpc(expected_exceptions=EXPECTED)
    def overview(self, entity=None):
        """Every scope of the caller's entities (or of `entity`) with its report's summary: mode, parity, volume in
        the last 7 and 30 days, the gate, a pending cut-over. One pass over each entity's parity results."""
        entities = self.caller.entities(service=True)
        out = []
        with self.db as uow:
            found = repo.scopes_of(uow.session, entity, entities)
            for code in sorted({s["entity"] for s in found}):
                everything = repo.scopes_of(uow.session, code)
                rows = repo.parity_of_entity(uow.session, code)
                mine = {}
                for r in rows:
                    mine.setdefault(scope_of(r["subject"], everything)["id"], []).append(r)
                for scope in (s for s in found if s["entity"] == code):
                    report = parity_report(scope, mine.get(scope["id"], []), _gate(), utcnow())
                    out.append({**scope_out(scope), **{k: report[k] for k in (
                        "volume", "matched", "parity_rate", "volume_7_days", "volume_30_days", "gate", "digest")}})
        return out

    def _report(self, uow, row, keep_rows=False):
        everything = repo.scopes_of(uow.session, row["entity"])
        mine = [r for r in repo.parity_of_entity(uow.session, row["entity"])
                if scope_of(r["subject"], everything)["id"] == row["id"]]
        report = parity_report(row, mine, _gate(), utcnow())
        if keep_rows:
            report["rows"] = [{k: (r[k].isoformat() if k == "computed_at" else r[k])
                               for k in ("vin", "match", "differences", "computed_at")} for r in mine]
        return report

    # -- legacy documents ----------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def receive_legacy(self, entity, body_base64):
        """The legacy system's eCoCs for `entity`: one XML document or a zip of them (base64 of the exact bytes).

        Every file is accounted for: accepted (new or already received) or rejected with the reason."""
        caller = self.caller.require("data_steward")
        entities = self.caller.entities("data_steward")
        if entities is not None and entity not in entities:
            raise InvalidInput("Unknown legal entity.", [{"field": "entity", "message": f"no legal entity {entity}"}])
        if self.ivi is None:
            raise InvalidInput("No IVI 2.0 schema is configured: legacy documents cannot be read.",
                               [{"field": "_body", "message": "schema checks are off"}])
        try:
            files = unpack(base64.b64decode(body_base64, validate=True))
        except (ValueError, TypeError) as exc:
            field = getattr(exc, "field", "_body")
            raise InvalidInput(f"The legacy documents cannot be taken: {exc}",
                               [{"field": field, "message": str(exc)}]) from None
        read, rejected = tpool.execute(self._read_all, files)
        if not read:
            raise InvalidInput("No legacy document of the request could be read.",
                               [{"field": r["file"], "message": r["errors"][0]} for r in rejected])
        findings = self._legacy_findings(entity, read)
        now = utcnow()
        rows = [{"id": str(uuid.uuid4()), "entity": entity, "vin": d.vin, "format": d.format,
                 "filename": d.name[:255], "document": d.data, "sha256": d.sha256, "reference_id": d.reference_id,
                 "version_number": d.version_number, "header": d.header, "coc": d.coc, "seal": d.seal,
                 "conversion": d.conversion, "findings": findings[i], "received_at": now,
                 "received_by": caller["sub"]} for i, d in enumerate(read)]
        unique = list({r["sha256"]: r for r in rows}.values())
        with self.db as uow:
            inserted = repo.add_legacy(uow.session, unique)
            stored = repo.legacy_by_sha(uow.session, entity, [r["sha256"] for r in rows])
            new = [stored[r["sha256"]] for r in unique if r["id"] in inserted]
            for part in _chunks(new):
                uow.emit(LEGACY_RECEIVED, {"documents": [_summary(d, brief=True) for d in part]},
                         subject=part[0]["vin"],
                         subjects=[d["vin"] for d in part], entity=entity)
            self._recompute(uow, entity, sorted({d["vin"] for d in new}))
            uow.commit()
        accepted = [dict(_summary(stored[d.sha256]), file=d.name, outcome="accepted" if stored[d.sha256]["id"]
                         in inserted else "unchanged") for d in read]
        return {"accepted": sum(1 for a in accepted if a["outcome"] == "accepted"),
                "unchanged": sum(1 for a in accepted if a["outcome"] == "unchanged"),
                "documents": accepted, "rejected": rejected}

    def _read_all(self, files):
        read, rejected = [], []
        convert = self.ivi111.convert if self.ivi111 is not None else None
        for name, data in files:
            try:
                read.append(read_document(name, data, self.ivi, convert, seal_of))
            except LegacyInputError as exc:
                rejected.append({"file": name, "errors": [str(exc)]})
        return read, rejected

    def _legacy_findings(self, entity, documents):
        """ecoc's rules on the legacy documents (the validation service judges them; nothing is stored there)."""
        items = [{"coc": d.coc, "header": d.header, "entity": entity} for d in documents]
        seconds = settings().rpc_timeout
        found = []
        for start in range(0, len(items), CHUNK):
            with eventlet.Timeout(seconds, TimeoutError(f"validation did not answer within {seconds:g}s")):
                found.extend(self.validation.judge_documents(items[start:start + CHUNK]))
        return found

    @rpc(expected_exceptions=EXPECTED)
    def legacy_history(self, vin):
        """The legacy certificates of a VIN (status `legacy`), oldest version first; for the caller's entities."""
        entities = self.caller.entities(service=True)
        with self.db as uow:
            found = repo.legacy_of_vin(uow.session, vin, entities)
        return [_summary(d) for d in found]

    @rpc(expected_exceptions=EXPECTED)
    def legacy_document(self, legacy_id):
        """One legacy document: its summary and its exact bytes (base64)."""
        entities = self.caller.entities(service=True)
        with self.db as uow:
            found = repo.legacy_document(uow.session, legacy_id)
        if found is None or (entities is not None and found["entity"] not in entities):
            raise NotFound(f"no legacy document {legacy_id}")
        return dict(_summary(found), document=base64.b64encode(found["document"]).decode("ascii"))

    # -- ecoc's side: compositions -------------------------------------------------------------------------

    @on_event("vehicles", VEHICLE_CHANGED)
    def on_vehicle_changed(self, event):
        """Keep ecoc's composition of each changed vehicle (one `resolve` per batch), and compare it again
        with the legacy document of the VIN, when there is one."""
        vehicles = event["data"]["vehicles"]
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            plan = ResolutionPlan(vehicles)
            seconds = settings().rpc_timeout
            with eventlet.Timeout(seconds, TimeoutError(f"approvals.resolve did not answer within {seconds:g}s")):
                resolved = plan.per_vehicle(self.approvals.resolve(plan.items) if plan.items else [])
            now = utcnow()
            rows = []
            for vehicle, resolution in zip(vehicles, resolved):
                content, digest, problem = None, None, None
                if resolution.get("ok"):
                    content, digest = reviewed_content(resolution["coc"], vehicle)
                else:
                    problem = resolution.get("message") or "the approval reference does not resolve"
                rows.append({"vin": vehicle["vin"], "entity": vehicle["entity"], "revision": vehicle["revision"],
                             "subject": subject_of(vehicle, (content or {}).get("VehicleCategory")),
                             "content": content, "content_sha256": digest, "problem": problem, "shadow_seal": None,
                             "composed_at": now})
            for entity in {r["entity"] for r in rows}:
                self._seal_shadow(repo.scopes_of(uow.session, entity), [r for r in rows if r["entity"] == entity])
            repo.store_compositions(uow.session, rows)
            by_entity = {}
            for row in rows:
                by_entity.setdefault(row["entity"], []).append(row["vin"])
            for entity, vins in by_entity.items():
                self._recompute(uow, entity, vins)
            uow.commit()

    def _seal_shadow(self, scopes_of_entity, compositions):
        """Shadow mode: compositions of vehicles in a shadow scope not sealed yet are sealed with the test seal;
        their `shadow_seal` says how it went (the document is not kept). The compositions that were sealed now."""
        sealing = self.shadow_sealer
        todo = [c for c in compositions if c["content"] is not None and not c.get("shadow_seal")
                and scope_of(c["subject"], scopes_of_entity)["mode"] == "shadow"]
        if not todo or sealing is None:
            return []
        outcomes = tpool.execute(lambda: [seal_in_shadow(
            sealing.schema, sealing.validator, sealing.sealer, {"vin": c["vin"], "intended_country":
                                                                c["subject"].get("country")},
            c["content"], c["content"].get("TypeApprovalNumber")) for c in todo])
        for composition, outcome in zip(todo, outcomes):
            composition["shadow_seal"] = outcome
        return todo

    def _recompute(self, uow, entity, vins):
        """Parity of `vins` that have both a legacy document and a composition; `parity_computed` says the
        outcome and the scope and mode each vehicle was compared under."""
        if not vins:
            return
        legacy = repo.newest_legacy(uow.session, vins)
        composed = repo.compositions_of(uow.session, list(legacy))
        pairs = [(legacy[v], composed[v]) for v in sorted(legacy)
                 if v in composed and composed[v]["content"] is not None and legacy[v]["entity"] == entity
                 and composed[v]["entity"] == entity]
        if not pairs:
            return
        everything = repo.scopes_of(uow.session, entity)
        for sealed in self._seal_shadow(everything, [c for _, c in pairs]):  # e.g. vehicles imported before a scope
            repo.set_shadow_seal(uow.session, sealed["vin"], sealed["revision"], sealed["shadow_seal"])
        schema = self.ivi
        diffs = tpool.execute(lambda: [compare(schema, lg["coc"], c["content"]) for lg, c in pairs])
        now = utcnow()
        rows = [{"vin": c["vin"], "entity": entity, "legacy_id": lg["id"], "composition_revision": c["revision"],
                 "match": not d, "differences": d, "computed_at": now} for (lg, c), d in zip(pairs, diffs)]
        repo.store_parity(uow.session, rows)
        results = []
        for (lg, c), row in zip(pairs, rows):
            scope = scope_of(c["subject"], everything)
            results.append({"vin": row["vin"], "match": row["match"], "differences": len(row["differences"]),
                            "scope_id": scope["id"], "scope": scope["name"], "mode": scope["mode"]})
        for part in _chunks(results):
            uow.emit(PARITY_COMPUTED, {"results": part}, subject=part[0]["vin"], subjects=[r["vin"] for r in part],
                     entity=entity)


def _chunks(items, size=CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _summary(document, brief=False):
    """A legacy document without its bytes; `brief` (events): without the conversion report and findings."""
    names = ("id", "vin", "format", "filename", "sha256", "reference_id", "version_number", "seal")
    out = {k: document.get(k) for k in names + (() if brief else ("conversion", "findings"))}
    if brief:
        out["seal"] = {"status": (document.get("seal") or {}).get("status"), "trusted": False}
        out["findings"] = len(document.get("findings") or ())
    out["status"] = "legacy"
    received = document.get("received_at")
    out["received_at"] = received.isoformat() if received is not None else None
    return out
