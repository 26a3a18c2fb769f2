"""vehicles: vehicle records per VIN with revisions and lifecycle, and releases through review and signing.

The entrypoints of imports and of releases are the mixins `ImportEntrypoints` and `ReleaseEntrypoints`;
records, edits, withdrawal, the shared helpers and the reactions to validation and approvals are here."""
import logging
from datetime import date, timedelta

from common.rpc import rpc

from common import authz
from common.contracts.events import (
    APPROVAL_EXTENDED, APPROVAL_VERSION_ADDED, APPROVAL_WITHDRAWN, VALIDATION_COMPLETED, VEHICLE_CHANGED,
    VEHICLE_DELETED, VEHICLE_STATUS_CHANGED, VEHICLE_WITHDRAWN,
)
from common.contracts.vehicles import (
    CorrectionIn, PreconditionFailed, VehicleDeletionIn, VehiclePatch, VehicleWithdrawalIn,
)
from common.dependencies import Database, Identity, IviSchema
from common.errors import EXPECTED, Conflict, InvalidInput, NotFound, load_or_raise
from common.events import on_event
from common.health import Health
from common.ops import Ops
from common.outbox import utcnow
from common.rpc import ServiceRpc
from services.vehicles import overview
from services.vehicles import repository as repo
from services.vehicles.domain import lifecycle
from services.vehicles.domain.deletion import deletion_refusal
from services.vehicles.read_entrypoints import zoned_time
from services.vehicles.domain.impact import base_number, impact_of
from services.vehicles.domain.importing import coc_errors
from services.vehicles.domain.owned_pages import owned_page
from services.vehicles.domain.ownership import owner, without_approval_fields
from services.vehicles.domain.pinning import still_pinned
from services.vehicles.domain.releases import REVIEWED
from services.vehicles.domain.revisions import edited, record_of
from services.vehicles.domain.scope import allowed
from services.vehicles.domain.stages import differs_from
from services.vehicles.comment_entrypoints import CommentEntrypoints
from services.vehicles.import_entrypoints import ImportEntrypoints
from services.vehicles.read_entrypoints import ReadEntrypoints
from services.vehicles.models import inbox, outbox, vehicles
from services.vehicles.release_entrypoints import ReleaseEntrypoints
from services.vehicles.state_metrics import vehicle_states
from services.vehicles.work_entrypoints import WorkEntrypoints

log = logging.getLogger(__name__)

EVENT_CHUNK = 250  # vehicles per event message


def chunks(items, size=EVENT_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class VehiclesService(Health, ImportEntrypoints, ReleaseEntrypoints, ReadEntrypoints, CommentEntrypoints,
                      WorkEntrypoints):
    name = "vehicles"

    db = Database(outbox, inbox)
    caller = Identity()
    ops = Ops(collectors=[vehicle_states])  # /livez, /readyz, /metrics; measures every worker
    ivi = IviSchema()
    approvals = ServiceRpc("approvals")

    def _check_signatory(self, entity, sub):
        """Signing and withdrawing certificates: `sub` must be an authorised signatory of the entity."""
        authz.check_signatory(self.approvals.get_entity(entity), sub)

    def _entities(self):
        """The caller's entities (None: all); every entrypoint serving a caller needs one with a role."""
        return self.caller.entities()

    def _emit_batches(self, uow, event_type, entity, items, key="vehicles", **extra):
        for part in chunks(items):
            uow.emit(event_type, dict(extra, **{key: part}), subject=part[0]["vin"],
                     subjects=[i["vin"] for i in part], entity=entity)

    def _emit_status(self, uow, entity, vins, status):
        self._emit_batches(uow, VEHICLE_STATUS_CHANGED, entity, [{"vin": v, "status": status} for v in vins])

    def _emit_changed(self, uow, changed, moved=(), reason="vehicle changed"):
        """vehicle_changed for changed records (validation judges them); status events for `moved` vehicles
        (their records before the change), which leave a release they were in with `reason`."""
        self._reopen(uow, moved, reason)
        by_entity = {}
        for item in repo.event_items(uow.session, changed):
            by_entity.setdefault(item["entity"], []).append(item)
        for entity, items in by_entity.items():
            self._emit_batches(uow, VEHICLE_CHANGED, entity, items)
        for entity in {v["entity"] for v in moved}:
            self._emit_status(uow, entity, [v["vin"] for v in moved if v["entity"] == entity], lifecycle.DRAFT)

    def _move(self, uow, found, target, reason=None, actor=None, **values):
        """Apply a lifecycle transition to loaded vehicles; a refused one is a Conflict naming both states.
        Back to draft, vehicles leave a release they were in with `reason` (`_reopen`)."""
        movable, refused = lifecycle.split_movable(found, target)
        if refused:
            raise Conflict(str(refused[0]), [{"field": "status", "message": str(e)} for e in refused])
        if target == lifecycle.DRAFT:
            self._reopen(uow, found, reason or "vehicle changed", actor)
        repo.set_status(uow.session, movable, target, **values)
        moved = [v for v in found if v["status"] != target]
        for entity in {v["entity"] for v in moved}:
            self._emit_status(uow, entity, [v["vin"] for v in moved if v["entity"] == entity], target)

    def _vehicle_for_update(self, uow, vin):
        vehicle = repo.load_vehicles(uow.session, [vin], for_update=True).get(vin)
        if vehicle is None or not allowed(vehicle["entity"], self._entities()):
            raise NotFound(f"no vehicle {vin}")
        return vehicle

    def _coc_errors(self, coc):
        return coc_errors(self.ivi, coc)

    # -- queries ---------------------------------------------------------------------------------

    health_table = vehicles

    def health_details(self):
        return {"ivi_schema": self.ivi is not None}

    @rpc(expected_exceptions=EXPECTED)
    def get(self, vin):
        with self.db as uow:
            vehicle = repo.load_vehicles(uow.session, [vin]).get(vin)
            if vehicle is None or not allowed(vehicle["entity"], self._entities()):
                raise NotFound(f"no vehicle {vin}")
            stages = repo.load_stages(uow.session, [(vin, vehicle["entity"])]).get(vin, [])
        vehicle["stages"] = [{k: s[k] for k in ("stage", "approval_number", "type", "variant", "version",
                                                "stage_of_completion", "imported_at", "imported_by")}
                             for s in stages]
        return vehicle

    @rpc(expected_exceptions=EXPECTED)
    def list(self, status=None, entity=None, approval_number=None, limit=100, cursor=None, updated_since=None,
             intended_country=None, older_than_days=None, team=None):
        """One page of the caller's vehicles by VIN. `older_than_days`: unchanged (in their state) for at least that
        many days; `team`: owned by that team of the caller's entities (`none`: by no team), a page then may be
        short (`domain.owned_pages`)."""
        since = zoned_time(updated_since, "updated_since") if updated_since else None
        before = utcnow() - timedelta(days=older_than_days) if older_than_days is not None else None
        entities = self._entities()
        with self.db as uow:
            def read(after, n):
                rows, more = repo.list_vehicles(uow.session, status, entity, approval_number, entities, n, after,
                                                since, intended_country, before)
                return rows, more is not None

            if team is None:
                items, more = read(cursor, limit)
                return {"items": items, "next_cursor": items[-1]["vin"] if more else None}
            owns, with_approval_fields = self._team_owns(uow, entities, team)

            def read_owned(after, n):
                rows, more = read(after, n)
                return with_approval_fields(rows), more

            items, next_cursor = owned_page(read_owned, owns, lambda v: v["vin"], limit, cursor)
        return {"items": [without_approval_fields(v) for v in items], "next_cursor": next_cursor}

    def _team_owns(self, uow, entities, team):
        """`(owns(vehicle), with_approval_fields(vehicles))` of a team filter: `owns` judges vehicles that went
        through `with_approval_fields` (what rules read from the approval, e.g. its category: one RPC per chunk).
        `team` is a team id of the caller's entities, or `none` (no team owns it); another entity's team is answered
        like one that does not exist."""
        rules = repo.ownership_rules_of(uow.session, entities)
        if team != "none" and team not in {t["id"] for t in repo.teams_of(uow.session, entities)}:
            raise InvalidInput("Unknown team.", [{"field": "team", "message": (
                "not a team of your entities; `none`: work no team owns")}])
        wanted = None if team == "none" else team
        return (lambda vehicle: owner(vehicle, rules) == wanted,
                lambda vehicles: self._with_approval_fields(vehicles, rules))

    @rpc(expected_exceptions=EXPECTED)
    def history(self, vin):
        self.get(vin)
        with self.db as uow:
            return repo.history(uow.session, vin)

    @rpc(expected_exceptions=EXPECTED)
    def stages(self, vin):
        """The earlier stages' eCoC data of a VIN that the caller's entities imported (a base vehicle imported
        before its record is fine); whose record the VIN has plays no part."""
        with self.db as uow:
            found = repo.imported_stages(uow.session, vin, self._entities())
        if not found:
            raise NotFound(f"no earlier stage of vehicle {vin}")
        return [{k: v for k, v in s.items() if k != "id"} for s in found]

    @rpc(expected_exceptions=EXPECTED)
    def impact(self, approval_number, entity):
        """Vehicles of `entity`'s approval (any extension): unreleased by state, and released. Vehicles of
        other entities naming the same number are not this approval's."""
        errors = [{"field": name, "message": f"{what} is required"}
                  for name, value, what in (("approval_number", approval_number, "an approval number"),
                                            ("entity", entity, "the approval's legal entity"))
                  if not isinstance(value, str) or not value]
        if errors:
            raise InvalidInput("The approval is not named.", errors)
        entities = [entity] if allowed(entity, self._entities()) else []
        with self.db as uow:
            found = repo.statuses_with_base_number(uow.session, base_number(approval_number), entities)
        return impact_of(approval_number, found)

    # -- edits -----------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def update(self, vin, payload, if_match):
        """PATCH: change an unreleased vehicle's data; `if_match` must be its current revision."""
        self.caller.require("data_steward")
        return self._edit(vin, load_or_raise(VehiclePatch(), payload), if_match, correction=False)

    @rpc(expected_exceptions=EXPECTED)
    def correct(self, vin, payload, if_match=None):
        """Correct a released vehicle: a new revision, back through validation, review and signing."""
        self.caller.require("data_steward")
        return self._edit(vin, load_or_raise(CorrectionIn(), payload), if_match, correction=True)

    def _edit(self, vin, changes, if_match, correction):
        with self.db as uow:
            current = self._vehicle_for_update(uow, vin)
            if if_match is not None and if_match != current["revision"]:
                raise PreconditionFailed(
                    f"vehicle {vin} is at revision {current['revision']}, not {if_match}: read it again and "
                    "apply the change to the current revision",
                    [{"field": "If-Match", "message": f"the current revision is {current['revision']}"}])
            released = current["status"] == lifecycle.RELEASED
            if released and not correction:
                raise Conflict(f"vehicle {vin} is released: it changes only through a correction "
                               f"(POST /v1/vehicles/{vin}/corrections)", [{"field": "status", "message": "released"}])
            if correction and not released:
                raise Conflict(f"vehicle {vin} is {current['status']}: only a released vehicle is corrected; "
                               "change it with PATCH", [{"field": "status", "message": current["status"]}])
            data = edited(current, changes)
            errors = (self._coc_errors(data["coc"]) if "coc" in changes else []) + differs_from(
                repo.load_stages(uow.session, [(vin, current["entity"])]))(data)
            if errors:
                raise InvalidInput("The change has invalid fields.", errors)
            unchanged = record_of(data) == record_of(current)
            if unchanged and correction:
                raise InvalidInput("The correction changes nothing.", [
                    {"field": "coc", "message": f"the data equals revision {current['revision']}"}])
            if not unchanged:  # a PATCH changing nothing answers the vehicle as it is
                self._check(current, lifecycle.DRAFT)
                if data.get("production_date"):
                    data["production_date"] = date.fromisoformat(data["production_date"])
                stored = repo.save_changes(uow.session, [(0, data, current)], self.caller.sub, changes["reason"],
                                           edited=True)
                self._emit_changed(uow, stored, [current] if current["status"] != lifecycle.DRAFT else [],
                                   f"vehicle changed: {changes['reason']}")
                uow.commit()
        return self.get(vin)  # after the unit of work: `get` opens one of its own

    @rpc(expected_exceptions=EXPECTED)
    def withdraw(self, vin, payload):
        """Withdraw a released vehicle's certificate, with a reason (final; reported out of band)."""
        caller = self.caller.require("signer")
        data = load_or_raise(VehicleWithdrawalIn(), payload)
        with self.db as uow:
            vehicle = self._vehicle_for_update(uow, vin)
            self._check_signatory(vehicle["entity"], caller["sub"])
            self._check(vehicle, lifecycle.WITHDRAWN)
            withdrawal = {"reason": data["reason"], "by": self.caller.sub, "at": utcnow().isoformat(),
                          "certificate": vehicle["certificate"]}
            revision = repo.withdraw(uow.session, vehicle, withdrawal, self.caller.sub, data["reason"])
            uow.emit(VEHICLE_WITHDRAWN, {"vin": vin, "revision": revision, "reason": data["reason"],
                                         "certificate": vehicle["certificate"]}, subject=vin, entity=vehicle["entity"])
            self._emit_status(uow, vehicle["entity"], [vin], lifecycle.WITHDRAWN)
            uow.commit()
        return self.get(vin)

    @rpc(expected_exceptions=EXPECTED)
    def delete(self, vin, payload):
        """Delete a vehicle imported by mistake: only a draft or blocked one that never had a certificate nor
        entered a release (anything else is a 409); audited with the reason."""
        self.caller.require("data_steward")
        data = load_or_raise(VehicleDeletionIn(), payload)
        with self.db as uow:
            vehicle = self._vehicle_for_update(uow, vin)
            refusal = deletion_refusal(vehicle, repo.ever_in_release(uow.session, vin))
            if refusal:
                raise Conflict(f"vehicle {vin} cannot be deleted: {refusal}", [{"field": "status", "message": refusal}])
            repo.delete_vehicle(uow.session, vin)
            uow.emit(VEHICLE_DELETED, {"vin": vin, "revision": vehicle["revision"], "status": vehicle["status"],
                                       "reason": data["reason"]}, subject=vin, entity=vehicle["entity"])
            uow.commit()

    def _check(self, vehicle, target):
        try:
            lifecycle.check_transition(vehicle["status"], target, vehicle["vin"])
        except lifecycle.IllegalTransition as exc:
            raise Conflict(str(exc), [{"field": "status", "message": str(exc)}]) from None

    # -- reactions -------------------------------------------------------------------------------

    @on_event("validation", VALIDATION_COMPLETED)
    def on_validation_completed(self, event):
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            results = event["data"]["results"]
            current = repo.load_vehicles(uow.session, [r["vin"] for r in results], for_update=True)
            changed, judged = {}, {}
            for result in results:
                vehicle = current.get(result["vin"])
                if vehicle is None or vehicle["revision"] != result["revision"] \
                        or vehicle["status"] not in lifecycle.EDITABLE:
                    continue  # judged an older revision, or the vehicle moved on
                lifecycle.check_transition(vehicle["status"], result["status"], vehicle["vin"])
                judged.setdefault(result["status"], []).append({
                    "vin": vehicle["vin"], "findings": result["findings"],
                    "judged_with": {"rule_packs": result.get("rule_pack"),
                                    "approval_revision": result.get("approval_revision")}})
                changed.setdefault((vehicle["entity"], result["status"]), []).append(vehicle["vin"])
            for status, rows in judged.items():
                repo.set_status_each(uow.session, status, rows)
            for (entity, status), vins in changed.items():
                self._emit_status(uow, entity, vins, status)
            uow.commit()

    @on_event("approvals", APPROVAL_EXTENDED)
    def on_approval_extended(self, event):
        self._revalidate(event)

    @on_event("approvals", APPROVAL_WITHDRAWN)
    def on_approval_withdrawn(self, event):
        self._revalidate(event)

    @on_event("approvals", APPROVAL_VERSION_ADDED)
    def on_approval_version_added(self, event):
        self._revalidate(event)

    def _revalidate(self, event):
        """The approval changed: its unreleased vehicles of the approval's entity go back to draft and to
        validation, those in review or approved only when what they pinned changed (their item is reopened)."""
        number = event["data"].get("number") or event["subject"]
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            found = repo.with_base_number(uow.session, base_number(number), lifecycle.CHANGEABLE,
                                          entities=[event["entity"]], for_update=True)
            editable = [v for v in found if v["status"] in lifecycle.EDITABLE]
            touched = editable + self._pin_changed(uow, [v for v in found if v["status"] in lifecycle.REOPENABLE])
            reason = f"approval {number}: {event['event_type'].replace('_', ' ')}"
            self._move(uow, touched, lifecycle.DRAFT, reason=reason, actor=event["actor"], findings=[])
            self._emit_changed(uow, touched)
            uow.commit()
        log.info("%s %s: %d vehicles re-enter validation", event["event_type"], number, len(touched))

    def _pin_changed(self, uow, in_release):
        """The vehicles whose release item pinned other than what they would pin now (in review or approved;
        an item being signed is left to signing, which refuses a changed approval itself)."""
        items = repo.items_of(uow.session, in_release)
        held = [v for v in in_release if items.get(v["vin"], {}).get("state") in REVIEWED]
        if not held:
            return []
        return [v for v, (fresh, _) in zip(held, self._pins(uow, held)) if not still_pinned(items[v["vin"]], fresh)]

    # -- the dashboard ---------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def dashboard(self, entity=None, country=None, blocked_limit=20):
        """Counts by entity, intended country and state; blocked vehicles with their findings (at most
        `blocked_limit` per entity, most recent first); releases waiting for review or signing."""
        entities = self._entities()
        with self.db as uow:
            counts = overview.counts(uow.session, entities, entity, country)
            blocked = overview.blocked(uow.session, entities, entity, country, blocked_limit)
            waiting = overview.waiting_releases(uow.session, entities, entity, country)
        return {
            "counts": [{"entity": e, "country": c, "status": s, "count": n} for e, c, s, n in counts],
            "blocked": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in b.items() if k != "rank"}
                        for b in blocked],
            "releases": [dict({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()},
                              waiting_for=overview.WAITING[r["status"]]) for r in waiting],
        }
