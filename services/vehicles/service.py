"""vehicles: vehicle records per VIN with revisions and lifecycle, and releases through review and signing."""
import logging

from nameko.rpc import rpc

from common.contracts.events import (
    CERTIFICATE_FAILED, CERTIFICATE_SIGNED, RELEASE_APPROVED, RELEASE_COMPLETED, RELEASE_REJECTED,
    RELEASE_REQUESTED, RELEASE_SIGN_REQUESTED, VALIDATION_COMPLETED, VEHICLE_CHANGED, VEHICLE_STATUS_CHANGED,
)
from common.contracts.vehicles import ImportIn, RejectIn, ReleaseIn, SignatoryIn, VehicleIn
from common.dependencies import Database, Identity
from common.errors import EXPECTED, Conflict, FourEyes, InvalidInput, NotFound, load_or_raise
from common.events import on_event
from common.outbox import utcnow
from services.vehicles import repository as repo
from services.vehicles.domain import lifecycle
from services.vehicles.domain.importing import classify
from services.vehicles.domain.releases import FourEyesViolation, admit, check_reviewer
from services.vehicles.models import inbox, outbox, vehicles

log = logging.getLogger(__name__)

EVENT_CHUNK = 250  # vehicles per event message


def chunks(items, size=EVENT_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class VehiclesService:
    name = "vehicles"

    db = Database(outbox, inbox)
    caller = Identity()

    def _entities(self):
        identity = self.caller.get()
        return identity.get("entities") if identity else None

    def _emit_batches(self, uow, event_type, entity, items, key="vehicles", **extra):
        for part in chunks(items):
            uow.emit(event_type, dict(extra, **{key: part}), subject=part[0]["vin"],
                     subjects=[i["vin"] for i in part], entity=entity)

    def _emit_status(self, uow, entity, vins, status):
        self._emit_batches(uow, VEHICLE_STATUS_CHANGED, entity, [{"vin": v, "status": status} for v in vins])

    # -- queries ---------------------------------------------------------------------------------

    @rpc
    def health(self):
        with self.db as uow:
            uow.session.execute(vehicles.select().limit(0))
        return {"service": self.name, "ok": True}

    @rpc(expected_exceptions=EXPECTED)
    def get(self, vin):
        with self.db as uow:
            found = repo.load_vehicles(uow.session, [vin])
        vehicle = found.get(vin)
        entities = self._entities()
        if vehicle is None or (entities is not None and "*" not in entities and vehicle["entity"] not in entities):
            raise NotFound(f"no vehicle {vin}")
        return vehicle

    @rpc(expected_exceptions=EXPECTED)
    def list(self, status=None, entity=None, approval_number=None, limit=100, cursor=None):
        with self.db as uow:
            items, next_cursor = repo.list_vehicles(
                uow.session, status, entity, approval_number, self._entities(), limit, cursor)
        return {"items": items, "next_cursor": next_cursor}

    @rpc(expected_exceptions=EXPECTED)
    def history(self, vin):
        self.get(vin)
        with self.db as uow:
            return repo.history(uow.session, vin)

    @rpc(expected_exceptions=EXPECTED)
    def counts(self, vins=None):
        with self.db as uow:
            return repo.status_counts(uow.session, vins)

    # -- commands --------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def import_vehicles(self, payload, reason="import"):
        rows = load_or_raise(ImportIn(), payload)["vehicles"]
        with self.db as uow:
            vins = [r["vin"] for r in rows if isinstance(r, dict) and isinstance(r.get("vin"), str)]
            existing = repo.load_vehicles(uow.session, vins, for_update=True)
            changes, unchanged, rejected = classify(rows, VehicleIn(), existing, self._entities())
            stored = repo.save_changes(uow.session, changes, self.caller.sub, reason)
            by_entity = {}
            for vehicle in stored:
                by_entity.setdefault(vehicle["entity"], []).append(repo.event_item(vehicle))
            for entity, items in by_entity.items():
                self._emit_batches(uow, VEHICLE_CHANGED, entity, items)
            uow.commit()
        return {"accepted": len(stored), "unchanged": unchanged, "rejected": rejected}

    @rpc(expected_exceptions=EXPECTED)
    def request_release(self, payload):
        data = load_or_raise(ReleaseIn(), payload)
        with self.db as uow:
            found = repo.load_vehicles(uow.session, data["vins"], for_update=True)
            entity, admitted, rejected = admit(found, data["vins"], self._entities())
            if not admitted:
                raise InvalidInput("No vehicle of the request can enter a release.",
                                   [{"field": f"vins[{data['vins'].index(r['vin'])}]", "message": r["reason"]}
                                    for r in rejected])
            release_id = repo.add_release(uow.session, entity, admitted, data["note"], self.caller.sub)
            vins = [v["vin"] for v in admitted]
            uow.emit(RELEASE_REQUESTED, {"release_id": release_id, "vins": vins, "note": data["note"]},
                     subject=release_id, subjects=[release_id, *vins], entity=entity)
            self._emit_status(uow, entity, vins, lifecycle.IN_REVIEW)
            uow.commit()
        return {"id": release_id, "status": "in_review", "entity": entity, "accepted": len(admitted),
                "rejected": rejected}

    def _release_for_update(self, uow, release_id, expected_status):
        release = repo.load_release(uow.session, release_id, for_update=True)
        entities = self._entities()
        if release is None or (entities is not None and "*" not in entities and release["entity"] not in entities):
            raise NotFound(f"no release {release_id}")
        if release["status"] != expected_status:
            raise Conflict(f"the release is {release['status']}, not {expected_status}")
        return release

    def _check_reviewer(self, uow, reviewer, release, vins):
        """Four-eyes: neither the requester nor the last editor of any of its vehicles decides on a release."""
        editors = {v["vin"]: v["last_editor"] for v in repo.load_vehicles(uow.session, vins).values()}
        try:
            check_reviewer(reviewer, release, editors)
        except FourEyesViolation as exc:
            raise FourEyes(str(exc)) from None

    @rpc(expected_exceptions=EXPECTED)
    def get_release(self, release_id):
        with self.db as uow:
            release = repo.load_release(uow.session, release_id)
        entities = self._entities()
        if release is None or (entities is not None and "*" not in entities and release["entity"] not in entities):
            raise NotFound(f"no release {release_id}")
        return repo.release_dict(release)

    @rpc(expected_exceptions=EXPECTED)
    def approve_release(self, release_id):
        reviewer = self.caller.sub
        with self.db as uow:
            release = self._release_for_update(uow, release_id, "in_review")
            vins = [i["vin"] for i in release["items"]]
            self._check_reviewer(uow, reviewer, release, vins)
            repo.update_release(uow.session, release_id, status="approved", reviewed_by=reviewer,
                                reviewed_at=utcnow())
            repo.update_items(uow.session, release_id, vins, state="approved")
            repo.set_status(uow.session, vins, lifecycle.APPROVED)
            uow.emit(RELEASE_APPROVED, {"release_id": release_id, "vins": vins}, subject=release_id,
                     subjects=[release_id, *vins], entity=release["entity"])
            self._emit_status(uow, release["entity"], vins, lifecycle.APPROVED)
            uow.commit()
        return self.get_release(release_id)

    @rpc(expected_exceptions=EXPECTED)
    def reject_release(self, release_id, payload):
        data = load_or_raise(RejectIn(), payload)
        reviewer = self.caller.sub
        with self.db as uow:
            release = self._release_for_update(uow, release_id, "in_review")
            vins = [i["vin"] for i in release["items"]]
            self._check_reviewer(uow, reviewer, release, vins)
            repo.update_release(uow.session, release_id, status="rejected", reviewed_by=reviewer,
                                reviewed_at=utcnow(), rejection_reason=data["reason"])
            repo.update_items(uow.session, release_id, vins, state="rejected")
            repo.set_status(uow.session, vins, lifecycle.VALID, release_id=None)
            uow.emit(RELEASE_REJECTED, {"release_id": release_id, "vins": vins, "reason": data["reason"]},
                     subject=release_id, subjects=[release_id, *vins], entity=release["entity"])
            self._emit_status(uow, release["entity"], vins, lifecycle.VALID)
            uow.commit()
        return self.get_release(release_id)

    @rpc(expected_exceptions=EXPECTED)
    def sign_release(self, release_id, signatory):
        """Hand an approved release to signing; `signatory` is the entity's authorised signatory acting."""
        signatory = load_or_raise(SignatoryIn(), signatory, "signatory")
        with self.db as uow:
            release = self._release_for_update(uow, release_id, "approved")
            vins = [i["vin"] for i in release["items"]]
            found = repo.load_vehicles(uow.session, vins)
            repo.update_release(uow.session, release_id, status="signing", signer=signatory["sub"],
                                sign_requested_at=utcnow())
            repo.update_items(uow.session, release_id, vins, state="signing")
            items = [repo.event_item(found[v]) for v in vins]
            self._emit_batches(uow, RELEASE_SIGN_REQUESTED, release["entity"], items,
                               release_id=release_id, signatory=signatory)
            uow.commit()
        return self.get_release(release_id)

    # -- reactions -------------------------------------------------------------------------------

    @on_event("validation", VALIDATION_COMPLETED)
    def on_validation_completed(self, event):
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            results = event["data"]["results"]
            current = repo.load_vehicles(uow.session, [r["vin"] for r in results], for_update=True)
            changed = {}
            for result in results:
                vehicle = current.get(result["vin"])
                if vehicle is None or vehicle["revision"] != result["revision"] \
                        or vehicle["status"] not in lifecycle.EDITABLE:
                    continue  # judged an older revision, or the vehicle moved on
                repo.set_status(uow.session, [vehicle["vin"]], result["status"], findings=result["findings"])
                changed.setdefault((vehicle["entity"], result["status"]), []).append(vehicle["vin"])
            for (entity, status), vins in changed.items():
                self._emit_status(uow, entity, vins, status)
            uow.commit()

    @on_event("signing", CERTIFICATE_SIGNED)
    def on_certificate_signed(self, event):
        data = event["data"]
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            for cert in data["certificates"]:
                repo.update_items(uow.session, data["release_id"], [cert["vin"]], state="released",
                                  reference_id=cert["reference_id"], version_number=cert["version_number"])
                repo.set_status(uow.session, [cert["vin"]], lifecycle.RELEASED, certificate=cert)
            vins = [c["vin"] for c in data["certificates"]]
            self._emit_status(uow, event["entity"], vins, lifecycle.RELEASED)
            self._complete_if_done(uow, data["release_id"])
            uow.commit()

    @on_event("signing", CERTIFICATE_FAILED)
    def on_certificate_failed(self, event):
        data = event["data"]
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            for failure in data["failures"]:
                repo.update_items(uow.session, data["release_id"], [failure["vin"]], state="failed",
                                  failure=failure["reason"])
            # the vehicle is still valid data: it may enter a new release once the cause is fixed
            vins = [f["vin"] for f in data["failures"]]
            repo.set_status(uow.session, vins, lifecycle.VALID, release_id=None)
            self._emit_status(uow, event["entity"], vins, lifecycle.VALID)
            self._complete_if_done(uow, data["release_id"])
            uow.commit()

    def _complete_if_done(self, uow, release_id):
        release = repo.load_release(uow.session, release_id, for_update=True)
        if release is None:  # certificates sealed by a direct sign_batch call belong to no release here
            log.info("certificate event for release %s, which this service does not hold", release_id)
            return
        states = {i["state"] for i in release["items"]}
        if release["status"] != "signing" or "signing" in states:
            return
        status = "released" if states == {"released"} else "completed_with_failures"
        repo.update_release(uow.session, release_id, status=status, completed_at=utcnow())
        released = [i["vin"] for i in release["items"] if i["state"] == "released"]
        failed = [{"vin": i["vin"], "reason": i["failure"]} for i in release["items"] if i["state"] == "failed"]
        uow.emit(RELEASE_COMPLETED, {"release_id": release_id, "status": status, "released": len(released),
                                     "failures": failed},
                 subject=release_id, subjects=[release_id, *released], entity=release["entity"])
