"""The vehicles service's releases: request, four-eyes review, hand-over to signing, and signing's answers.

A mixin of `services.vehicles.service.VehiclesService` (its dependencies and helpers are used here)."""
import logging

import eventlet
from common.rpc import rpc

from common.config import settings
from common.contracts.events import (
    CERTIFICATE_FAILED, CERTIFICATE_SIGNED, RELEASE_APPROVED, RELEASE_COMPLETED, RELEASE_ITEM_REOPENED,
    RELEASE_REJECTED, RELEASE_REQUESTED, RELEASE_SIGN_REQUESTED, SCOPE_CHANGED,
)
from common.contracts.vehicles import RejectIn, ReleaseIn, SignatoryIn
from common.errors import EXPECTED, Conflict, Forbidden, FourEyes, InvalidInput, NotFound, load_or_raise
from common.events import on_event
from common.outbox import utcnow
from common.resolution_plan import ResolutionPlan
from common.rollout_scopes import release_refusal, scope_of, subject_of
from services.vehicles import repository as repo
from services.vehicles.domain import lifecycle
from services.vehicles.domain.pinning import pin
from services.vehicles.domain.releases import (
    REVIEWED, FourEyesViolation, admit, check_reviewer, editors_of, is_vin_shaped,
)
from services.vehicles.domain.scope import allowed

log = logging.getLogger(__name__)

MAX_RELEASE_PAGE = 1000  # vehicles of a release per page (`get_release` with a limit)


class ReleaseEntrypoints:

    @rpc(expected_exceptions=EXPECTED)
    def request_release(self, payload):
        """Valid vehicles enter a release in review; each item pins what its reviewers see (`domain.pinning`)."""
        self.caller.require("data_steward")
        data = load_or_raise(ReleaseIn(), payload)
        with self.db as uow:
            found = repo.load_vehicles(uow.session, data["vins"], for_update=True)
            entity, admitted, rejected = admit(found, data["vins"], self._entities())
            entered, pins, handled = [], [], []
            copies = repo.rollout_scopes_of(uow.session, {v["entity"] for v in admitted})
            for vehicle, (pinned, reason) in zip(admitted, self._pins(uow, admitted) if admitted else []):
                if not reason:  # the rollout scope it falls in must be live (the copy `scope_changed` keeps)
                    category = (pinned.get("content") or {}).get("VehicleCategory")
                    scope = scope_of(subject_of(vehicle, category), copies.get(vehicle["entity"], ()))
                    reason = release_refusal(scope)
                    handled.append({"vin": vehicle["vin"], "scope_id": scope["id"], "scope": scope["name"],
                                    "mode": scope["mode"]})
                if reason:
                    rejected.append({"vin": vehicle["vin"], "reason": reason})
                else:
                    entered.append(vehicle)
                    pins.append(pinned)
            if not entered:
                raise InvalidInput("No vehicle of the request can enter a release.",
                                   [{"field": f"vins[{data['vins'].index(r['vin'])}]", "message": r["reason"]}
                                    for r in rejected])
            for vehicle in entered:
                self._check(vehicle, lifecycle.IN_REVIEW)
            release_id = repo.add_release(uow.session, entity, entered, pins, data["note"], self.caller.sub)
            vins = [v["vin"] for v in entered]
            rollout = [h for h in handled if h["vin"] in set(vins)]
            uow.emit(RELEASE_REQUESTED, {"release_id": release_id, "vins": vins, "note": data["note"],
                                         "rollout": rollout},
                     subject=release_id, subjects=[release_id, *vins], entity=entity)
            self._emit_status(uow, entity, vins, lifecycle.IN_REVIEW)
            uow.commit()
        return {"id": release_id, "status": "in_review", "entity": entity, "accepted": len(entered),
                "rejected": rejected}

    def _pins(self, uow, found):
        """`[(pin, reason)]` of vehicle records as they stand: one `approvals.resolve` for the distinct
        references (each within the vehicle's own entity), then composed and digested here."""
        items = repo.event_items(uow.session, found)
        plan = ResolutionPlan(items)
        seconds = settings().rpc_timeout
        with eventlet.Timeout(seconds, TimeoutError(f"approvals.resolve did not answer within {seconds:g}s")):
            resolved = plan.per_vehicle(self.approvals.resolve(plan.items) if plan.items else [])
        return [pin(item, resolution, vehicle.get("judged_with"))
                for item, resolution, vehicle in zip(items, resolved, found)]

    def _reopen(self, uow, previous, reason, actor=None):
        """Changed vehicles (`previous`: their records before the change) that were in review or approved leave
        their release: the item is `reopened` with the reason, `release_item_reopened` says why, and a release
        with no item left in review or approved is closed. A vehicle being signed is not changed (a Conflict)."""
        in_release = [v for v in previous if v["status"] in lifecycle.REOPENABLE and v.get("release_id")]
        if not in_release:
            return
        items = repo.items_of(uow.session, in_release)
        signing = sorted(vin for vin, item in items.items() if item["state"] == "signing")
        if signing:
            raise Conflict(f"vehicle {signing[0]} is being signed: it changes after signing, through a correction",
                           [{"field": "status", "message": "being signed"}])
        by_release = {}
        for vehicle in in_release:
            if items.get(vehicle["vin"], {}).get("state") in REVIEWED:
                by_release.setdefault(vehicle["release_id"], []).append(vehicle["vin"])
        for release_id, vins in sorted(by_release.items()):
            repo.reopen_items(uow.session, release_id, vins, reason)
            release = repo.load_release(uow.session, release_id, with_items=False)
            status = release["status"]
            if not set(repo.item_states(uow.session, release_id)) & set(REVIEWED):
                status = "closed"
                repo.update_release(uow.session, release_id, status=status, completed_at=utcnow())
            uow.emit(RELEASE_ITEM_REOPENED, {"release_id": release_id, "vins": vins, "reason": reason,
                                             "release_status": status},
                     subject=release_id, subjects=[release_id, *vins], entity=release["entity"], actor=actor)

    def _release_for_update(self, uow, release_id, expected_status):
        """The release and its vehicles still in it, locked: the vehicles first (the order every writer locks in,
        e.g. an edit that reopens an item), then the release."""
        release = repo.load_release(uow.session, release_id)
        if release is None or not allowed(release["entity"], self._entities()):
            raise NotFound(f"no release {release_id}")
        found = repo.load_vehicles(uow.session, [i["vin"] for i in release["items"] if i["state"] == expected_status],
                                   for_update=True)
        release = repo.load_release(uow.session, release_id, for_update=True)
        if release["status"] != expected_status:
            raise Conflict(f"the release is {release['status']}, not {expected_status}")
        release["items"] = [i for i in release["items"] if i["state"] == expected_status and i["vin"] in found]
        return release, [found[i["vin"]] for i in release["items"]]

    def _decide(self, uow, release, found):
        """Four-eyes: neither the requester nor the last editor of any of its vehicles (nor the importer of one
        of their earlier stages) decides on a release."""
        stages = repo.load_stages(uow.session, [(v["vin"], v["entity"]) for v in found])
        try:
            check_reviewer(self.caller.sub, release, editors_of({v["vin"]: v for v in found}, stages))
        except FourEyesViolation as exc:
            raise FourEyes(str(exc)) from None

    @rpc(expected_exceptions=EXPECTED)
    def release_item(self, release_id, vin):
        """One item of a release with the content its reviewers see and signing seals (and its SHA-256)."""
        with self.db as uow:
            self._visible_release(uow, release_id)
            item = repo.item_content(uow.session, release_id, vin) if is_vin_shaped(vin) else None
        if item is None:
            raise NotFound(f"no vehicle {vin} in release {release_id}")
        return item

    @rpc(expected_exceptions=EXPECTED)
    def get_release(self, release_id, after=None, limit=None):
        """A release with its vehicles and how many are in each state (`counts`): all of them, or with `limit`
        a page of them in VIN order after the VIN `after`, and `next_cursor` for the next page (None: the last)."""
        if limit is None:
            with self.db as uow:
                return repo.release_dict(self._visible_release(uow, release_id, with_items=True))
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_RELEASE_PAGE:
            raise InvalidInput("Invalid limit.", [{"field": "limit",
                                                   "message": f"an integer from 1 to {MAX_RELEASE_PAGE}"}])
        if after is not None and not is_vin_shaped(after):
            raise InvalidInput("Invalid cursor.", [{"field": "cursor", "message": "use the next-page link"}])
        with self.db as uow:
            release = self._visible_release(uow, release_id)
            release["items"] = repo.items_after(uow.session, release_id, after, limit + 1)
            counts = repo.item_states(uow.session, release_id)
        more = len(release["items"]) > limit
        release["items"] = release["items"][:limit]
        return dict(repo.release_dict(release, counts), next_cursor=release["items"][-1]["vin"] if more else None)

    def _visible_release(self, uow, release_id, with_items=False):
        """The release when it is one of the caller's entities; NotFound as for a missing one otherwise."""
        release = repo.load_release(uow.session, release_id, with_items=with_items)
        if release is None or not allowed(release["entity"], self._entities()):
            raise NotFound(f"no release {release_id}")
        return release

    @rpc(expected_exceptions=EXPECTED)
    def approve_release(self, release_id):
        self.caller.require("reviewer")
        with self.db as uow:
            release, found = self._release_for_update(uow, release_id, "in_review")
            self._decide(uow, release, found)
            vins = [i["vin"] for i in release["items"]]
            repo.update_release(uow.session, release_id, status="approved", reviewed_by=self.caller.sub,
                                reviewed_at=utcnow())
            repo.update_items(uow.session, release_id, vins, state="approved")
            uow.emit(RELEASE_APPROVED, {"release_id": release_id, "vins": vins}, subject=release_id,
                     subjects=[release_id, *vins], entity=release["entity"])
            self._move(uow, found, lifecycle.APPROVED)
            uow.commit()
        return self.get_release(release_id)

    @rpc(expected_exceptions=EXPECTED)
    def reject_release(self, release_id, payload):
        self.caller.require("reviewer")
        data = load_or_raise(RejectIn(), payload)
        with self.db as uow:
            release, found = self._release_for_update(uow, release_id, "in_review")
            self._decide(uow, release, found)
            vins = [i["vin"] for i in release["items"]]
            repo.update_release(uow.session, release_id, status="rejected", reviewed_by=self.caller.sub,
                                reviewed_at=utcnow(), rejection_reason=data["reason"])
            repo.update_items(uow.session, release_id, vins, state="rejected")
            uow.emit(RELEASE_REJECTED, {"release_id": release_id, "vins": vins, "reason": data["reason"]},
                     subject=release_id, subjects=[release_id, *vins], entity=release["entity"])
            self._move(uow, found, lifecycle.VALID, release_id=None)
            uow.commit()
        return self.get_release(release_id)

    @rpc(expected_exceptions=EXPECTED)
    def sign_release(self, release_id, signatory):
        """Hand an approved release to signing; `signatory` is the entity's authorised signatory acting."""
        caller = self.caller.require("signer")
        signatory = load_or_raise(SignatoryIn(), signatory, "signatory")
        if signatory["sub"] != caller["sub"]:
            raise Forbidden(f"{caller['sub']} signs only as themself, not as {signatory['sub']}")
        with self.db as uow:
            release, found = self._release_for_update(uow, release_id, "approved")
            self._check_signatory(release["entity"], caller["sub"])
            self._check_live(uow, release_id, release["entity"], found)
            vins = [i["vin"] for i in release["items"]]
            repo.update_release(uow.session, release_id, status="signing", signer=signatory["sub"],
                                sign_requested_at=utcnow())
            repo.update_items(uow.session, release_id, vins, state="signing")
            items = repo.event_items(uow.session, found)
            for item, pinned in zip(items, release["items"], strict=True):  # signing seals only this content
                if pinned["content_sha256"]:  # an item requested before releases pinned is reviewed again
                    item["pinned"] = {k: pinned[k] for k in ("approval_id", "approval_revision", "content_sha256")}
            self._emit_batches(uow, RELEASE_SIGN_REQUESTED, release["entity"], items,
                               release_id=release_id, signatory=signatory)
            uow.commit()
        return self.get_release(release_id)

    # -- the rollout service's scopes -------------------------------------------------------------------

    def _check_live(self, uow, release_id, entity, found):
        """A scope rolled back to shadow (or off) after the release was requested: ecoc issues nothing for its
        vehicles from that moment, so the release is not signed (a Conflict naming each vehicle's scope)."""
        scopes = repo.rollout_scopes_of(uow.session, {entity}).get(entity, ())
        if not scopes:
            return
        categories = repo.item_categories(uow.session, release_id)
        refused = [(v["vin"], release_refusal(scope_of(subject_of(v, categories.get(v["vin"])), scopes)))
                   for v in found]
        refused = [(vin, reason) for vin, reason in refused if reason]
        if refused:
            raise Conflict(f"vehicle {refused[0][0]} is {refused[0][1]}; reject the release or move the scope live "
                           "again", [{"field": f"vins.{vin}", "message": reason} for vin, reason in refused])

    @on_event("rollout", SCOPE_CHANGED)
    def on_scope_changed(self, event):
        """Keep the entity's scope set the event carries (a late, older generation changes nothing)."""
        data = event["data"]
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            repo.store_rollout_scopes(uow.session, data["entity"], data["generation"], data["scopes"])
            uow.commit()

    # -- signing's answers ------------------------------------------------------------

    @on_event("signing", CERTIFICATE_SIGNED)
    def on_certificate_signed(self, event):
        self._signing_answered(
            event, event["data"]["certificates"], "released", lifecycle.RELEASED,
            item=lambda c: {"reference_id": c["reference_id"], "version_number": c["version_number"]},
            vehicle=lambda c: {"certificate": c})

    @on_event("signing", CERTIFICATE_FAILED)
    def on_certificate_failed(self, event):
        # the vehicle is still valid data: it may enter a new release once the cause is fixed
        self._signing_answered(event, event["data"]["failures"], "failed", lifecycle.VALID,
                               item=lambda f: {"failure": f["reason"]}, vehicle=lambda f: {"release_id": None})

    def _signing_answered(self, event, answers, state, target, item, vehicle):
        """Per VIN answered: the release item takes `state` (values `item(answer)`), the vehicle `target`."""
        release_id = event["data"]["release_id"]
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            found = repo.load_vehicles(uow.session, [a["vin"] for a in answers], for_update=True)
            repo.update_items_each(uow.session, release_id, [dict(item(a), vin=a["vin"]) for a in answers],
                                   state=state)
            movable = [a for a in answers if self._may_become(found.get(a["vin"]), target)]
            repo.set_status_each(uow.session, target, [dict(vehicle(a), vin=a["vin"]) for a in movable])
            self._emit_status(uow, event["entity"], [a["vin"] for a in movable], target)
            self._complete_if_done(uow, release_id)
            uow.commit()

    @staticmethod
    def _may_become(vehicle, target):
        """For event handlers: an illegal transition is logged and skipped (a redelivery would not fix it)."""
        if vehicle is None:
            return False
        try:
            lifecycle.check_transition(vehicle["status"], target, vehicle["vin"])
        except lifecycle.IllegalTransition as exc:
            log.warning("ignored: %s", exc)
            return False
        return True

    def _complete_if_done(self, uow, release_id):
        release = repo.load_release(uow.session, release_id, for_update=True, with_items=False)
        if release is None:  # certificates sealed by a direct sign_batch call belong to no release here
            log.info("certificate event for release %s, which this service does not hold", release_id)
            return
        if release["status"] != "signing":
            return
        states = repo.item_states(uow.session, release_id)  # counts: every answer need not load every item
        if "signing" in states:
            return
        release = repo.load_release(uow.session, release_id)
        status = "released" if set(states) - {"reopened"} == {"released"} else "completed_with_failures"
        repo.update_release(uow.session, release_id, status=status, completed_at=utcnow())
        released = [i["vin"] for i in release["items"] if i["state"] == "released"]
        failed = [{"vin": i["vin"], "reason": i["failure"]} for i in release["items"] if i["state"] == "failed"]
        uow.emit(RELEASE_COMPLETED, {"release_id": release_id, "status": status, "released": len(released),
                                     "failures": failed},
                 subject=release_id, subjects=[release_id, *released], entity=release["entity"])

