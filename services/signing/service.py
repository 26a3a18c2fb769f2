"""signing: builds, checks and seals IVI 2.0 eCoCs per legal entity; stores the exact bytes; verifies."""
import hashlib
import logging
from datetime import datetime, timezone

import eventlet
from eventlet import tpool
from common.rpc import rpc

from common import metrics
from common.authz import may_see
from common.config import settings
from common.contracts.events import (
    CERTIFICATE_FAILED, CERTIFICATE_SIGNED, CERTIFICATE_SUPERSEDED, CERTIFICATE_WITHDRAWN, LEGACY_RECEIVED,
    RELEASE_SIGN_REQUESTED, VEHICLE_WITHDRAWN,
)
from common.dependencies import Database, Identity, Stopping
from common.entity_code import code_problem
from common.contracts.signing import SignBatchIn
from common.errors import EXPECTED, Forbidden, InvalidInput, NotFound, load_or_raise
from common.events import on_event
from common.health import Health
from common.ids import is_uuid
from common.ivi.reader import read_ivi
from common.ops import Ops
from common.resolution_plan import ResolutionPlan, pinned_item
from common.rpc import ServiceRpc
from services.signing import repository as repo
from services.signing import sealing_threads
from services.signing.domain.archive import RELEASE_CHUNK
from services.signing.domain.issuance import issue_batch
from services.signing.domain.keys import SealKeyError
from services.signing.domain.seal_checks import EXPIRY_WARNING_DAYS
from services.signing.domain.seal_holder import holder_problems, is_self_signed
from services.signing.domain.seal_status import seal_status
from services.signing.domain.verify import verify_document
from services.signing.keyring import Seals
from services.signing.models import certificates, inbox, outbox
from services.signing.paper_entrypoints import PaperEntrypoints
from services.signing.paper_jobs import PaperJobEntrypoints
from services.signing.seal_metrics import seal_days_left

log = logging.getLogger(__name__)


class SigningService(Health, PaperEntrypoints, PaperJobEntrypoints):
    name = "signing"

    db = Database(outbox, inbox)
    caller = Identity()
    ops = Ops(collectors=[seal_days_left])  # /livez, /readyz, /metrics; measures every worker
    seals = Seals()
    stopping = Stopping()  # the print job timer ends after its current parts when the service stops
    approvals = ServiceRpc("approvals")

    health_table = certificates

    def health_details(self):
        return {"schema": bool(self.seals.validator)}

    @rpc(expected_exceptions=EXPECTED)
    def ensure_seal(self, entity, organisation):
        """The entity's seal certificate (PEM); in local mode a self-signed seal is created when missing (key
        generation runs off the event loop)."""
        self.caller.scope(entity, f"legal entity {entity}", "admin")
        problem = code_problem(entity)
        if problem:
            raise InvalidInput("The entity code is invalid.", [{"field": "code", "message": problem}])
        return tpool.execute(self.seals.ensure_seal, entity, organisation)

    @rpc(expected_exceptions=EXPECTED)
    def get_current(self, vin):
        self.caller.require()
        with self.db as uow:
            row = repo.current(uow.session, vin)
            latest = repo.latest(uow.session, vin) if row is None else None
        for found in (row, latest):
            if found is not None:
                self.caller.scope(found.entity, f"certificate of {vin}")
        if latest is not None and latest.status == "withdrawn":
            raise NotFound(f"the certificate of {vin} (version {latest.version_number}) was withdrawn: "
                           f"{latest.status_reason}; GET /v1/vehicles/{vin}/certificates lists every version")
        if row is None:
            raise NotFound(f"no current certificate for {vin}")
        return {"summary": repo.summary_dict(row), "document": row.document.decode("utf-8")}

    @rpc(expected_exceptions=EXPECTED)
    def versions(self, vin):
        entities = self.caller.entities()
        with self.db as uow:
            found = repo.versions(uow.session, vin)
        return [v for v in found if entities is None or v["entity"] in entities]

    @rpc(expected_exceptions=EXPECTED)
    def release_documents(self, release_id, vins):
        """The certificates `release_id` sealed for `vins` (at most RELEASE_CHUNK a call), {summary, document},
        in VIN order; those of entities the caller does not act for are left out."""
        entities = self.caller.entities()
        if not isinstance(vins, list) or len(vins) > RELEASE_CHUNK or not is_uuid(release_id):
            raise InvalidInput("Ask for at most 500 VINs of a release.", [{"field": "vins", "message": "at most 500"}])
        with self.db as uow:
            rows = repo.of_release(uow.session, release_id, vins)
        return [{"summary": repo.summary_dict(row), "document": row.document.decode("utf-8")} for row in rows
                if entities is None or row.entity in entities]

    @rpc(expected_exceptions=EXPECTED)
    def verify(self, document):
        """Verify a sealed eCoC: the seal (pinned to this installation's seals), which entity's seal made it and
        whether that entity may seal the document, when it was sealed. The holding entity and the sealing time of
        a certificate stored here are reported only to callers of that entity."""
        caller = self.caller.get()
        if not isinstance(document, str) or not document.strip():
            raise InvalidInput("No document.", [{"field": "_body", "message": "an eCoC XML document is required"}])
        data = document.encode("utf-8")
        anchors = self.seals.anchors()
        result = tpool.execute(verify_document, data, [a.certificate for a in anchors.values()], self.seals.validator)
        signer = result.signer
        holder = anchors.get(signer.fingerprint_sha256) if signer else None
        if result.valid and holder is not None:
            result.errors += holder_problems(signer.organisation, result.parties, self._legal_name(holder.entity),
                                             holder.certificate, self.seals.local_mode)
            result.valid = not result.errors
        signed_at = result.signed_at
        if signed_at is None and result.reference_id:
            with self.db as uow:
                stored = repo.sealed(uow.session, result.reference_id, hashlib.sha256(data).hexdigest())
            signed_at = stored.signed_at if stored is not None and may_see(caller, stored.entity) else None
        return {
            "valid": result.valid, "errors": result.errors, "reference_id": result.reference_id, "vin": result.vin,
            "version_number": result.version_number, "xades": result.xades,
            "signed_at": signed_at.isoformat() if signed_at else None,
            "signer": {"organisation": signer.organisation, "common_name": signer.common_name,
                       "fingerprint_sha256": signer.fingerprint_sha256,
                       "entity": holder.entity if holder is not None and may_see(caller, holder.entity) else None,
                       "local": is_self_signed(holder.certificate) if holder is not None else None,
                       } if signer else None,
        }

    def _legal_name(self, entity):
        """The registered legal name of `entity`, None when it is not registered (asked as this service: the
        caller of verify need not act for the entity whose seal it checks)."""
        try:
            with self.caller.as_service(), _rpc_deadline("approvals.get_entity"):
                return self.approvals.get_entity(entity)["legal_name"]
        except NotFound:
            return None

    @rpc(expected_exceptions=EXPECTED)
    def sign_batch(self, release_id, entity, signatory, vehicles):
        """Seal certificates for hundreds of vehicles of one entity; same path as the release event.

        The caller signs as themself: `signatory.sub` is the caller, an authorised signatory of `entity`."""
        caller = self.caller.require("signer")
        self.caller.scope(entity, f"legal entity {entity}")
        if not isinstance(signatory, dict) or signatory.get("sub") != caller["sub"]:
            raise Forbidden(f"{caller['sub']} signs only as themself", [
                {"field": "signatory.sub", "message": f"must be {caller['sub']}"}])
        data = load_or_raise(SignBatchIn(), {"release_id": release_id, "entity": entity, "signatory": signatory,
                                             "vehicles": vehicles})
        return self._sign(data["release_id"], data["entity"], data["signatory"], data["vehicles"])

    @on_event("vehicles", RELEASE_SIGN_REQUESTED)
    def on_release_sign_requested(self, event):
        data = event["data"]
        self._sign(data["release_id"], event["entity"], data["signatory"], data["vehicles"], event=event)  # pinned

    @on_event("rollout", LEGACY_RECEIVED)
    def on_legacy_received(self, event):
        """The legacy system's version numbers: ecoc's next certificate of such a VIN continues after them."""
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            repo.note_legacy_versions(uow.session, event["entity"], event["data"]["documents"])
            uow.commit()

    @on_event("vehicles", VEHICLE_WITHDRAWN)
    def on_vehicle_withdrawn(self, event):
        """The vehicle's current certificate becomes withdrawn with the reason; it is kept, never deleted."""
        data = event["data"]
        with self.db as uow:
            if not uow.inbox.first_time(uow.session, event):
                return
            withdrawn = repo.withdraw(uow.session, data["vin"], data["reason"], datetime.now(timezone.utc))
            named = (data.get("certificate") or {}).get("reference_id")
            if withdrawn is None:
                log.warning("vehicle %s was withdrawn but has no current certificate", data["vin"])
            else:
                if named and named != withdrawn["reference_id"]:
                    log.warning("vehicle %s: withdrawal names certificate %s, the current one is %s (withdrawn)",
                                data["vin"], named, withdrawn["reference_id"])
                uow.emit(CERTIFICATE_WITHDRAWN, {"vin": data["vin"], "reference_id": withdrawn["reference_id"],
                                                 "version_number": withdrawn["version_number"],
                                                 "reason": data["reason"]},
                         subject=data["vin"], entity=withdrawn["entity"], actor=event["actor"])
            uow.commit()

    def _sign(self, release_id, entity, signatory, vehicles, event=None):
        with self.db as uow:
            done = repo.already_signed(uow.session, release_id, [v["vin"] for v in vehicles])
        todo = [v for v in vehicles if v["vin"] not in done]
        issued, failed, problem = [], [], None
        if todo:
            signatory, problem = self._authorised(entity, signatory, event["actor"] if event else signatory["sub"])
        if todo and not problem:
            problem, issued, failed = self._issue(entity, signatory, todo, require_pin=event is not None)
        if problem:
            failed = [{"vin": v["vin"], "reason": problem} for v in todo]

        now = datetime.now(timezone.utc)
        with self.db as uow:
            if event is not None and not uow.inbox.first_time(uow.session, event):
                return {"signed": 0, "failed": []}
            if issued:
                fingerprint = self.seals.sealer(entity).seal_key.fingerprint_sha256
                superseded = repo.store(uow.session, issued, entity, release_id, signatory, fingerprint, now)
                certs = [{"vin": i.vin, "reference_id": i.reference_id, "version_number": i.version_number,
                          "sha256": i.sha256, "content_sha256": i.content_sha256, "findings": i.findings}
                         for i in issued]
                uow.emit(CERTIFICATE_SIGNED, {"release_id": release_id, "certificates": certs},
                         subject=certs[0]["vin"], subjects=[c["vin"] for c in certs], entity=entity)
                if superseded:
                    uow.emit(CERTIFICATE_SUPERSEDED, {"certificates": superseded}, subject=superseded[0]["vin"],
                             subjects=[s["vin"] for s in superseded], entity=entity)
            if failed:
                uow.emit(CERTIFICATE_FAILED, {"release_id": release_id, "failures": failed},
                         subject=failed[0]["vin"], subjects=[f["vin"] for f in failed], entity=entity)
            uow.commit()
        log.info("release %s: %d sealed, %d failed", release_id, len(issued), len(failed))
        return {"signed": len(issued), "failed": failed}

    def _issue(self, entity, signatory, vehicles, require_pin=False):
        """Seal the vehicles off the event loop; returns (problem for all, issued, failed). A vehicle of a release
        is composed from the approval revision its reviewers saw and sealed only as reviewed (`issue_batch`)."""
        try:
            sealer = self.seals.sealer(entity)
        except SealKeyError as exc:
            return str(exc), [], []
        if self.seals.validator is None:
            return "the IVI schema is not configured (ECOC_IVI_SCHEMA): certificates cannot be checked", [], []
        plan = ResolutionPlan(vehicles, pinned_item)  # once per distinct reference; answers shared read-only
        with _rpc_deadline("approvals.resolve"):  # a reply lost to a broker outage fails the batch: retried
            resolved = plan.per_vehicle(self.approvals.resolve(plan.items))
        with self.db as uow:
            versions = repo.next_versions(uow.session, [v["vin"] for v in vehicles])
        with sealing_threads.slots, metrics.SEAL_SECONDS.time():
            result = tpool.execute(issue_batch, self.seals.schema, self.seals.validator, sealer, vehicles,
                                   resolved, signatory, versions, require_pin=require_pin)
        metrics.SEALS.labels(entity).inc(len(result.issued))
        for warning in result.warnings:
            log.warning("entity %s: %s", entity, warning)
        return None, result.issued, [{"vin": f.vin, "reason": f.reason} for f in result.failed]

    def _authorised(self, entity, signatory, requested_by):
        """Re-check what the gateway checked: the signer is an authorised signatory of the entity, and the one
        who asked for the seal (a release's sign request is made by the signatory, never for them).

        Returns the entity's own record of the signatory (name, position, location as registered)."""
        if signatory.get("sub") != requested_by:
            return signatory, f"{requested_by} asked to seal as {signatory.get('sub')}: a signatory signs only as themself"
        with _rpc_deadline("approvals.get_entity"):
            record = self.approvals.get_entity(entity)
        for registered in record["signatories"]:
            if registered["sub"] == signatory.get("sub"):
                return registered, None
        return signatory, f"{signatory.get('sub')} is not an authorised signatory of {entity}"

    # -- the dashboard ---------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def seal_statuses(self, within_days=None):
        """Per entity the caller may see that has a seal: its validity, state (valid | expiring | expired |
        not_yet_valid; expiring = notAfter within `within_days`, default the sealing warning window) and the
        number of current certificates sealed with it. Unusable seals are listed with their problem."""
        entities = self.caller.entities()
        provider = self.seals.provider
        visible = [e for e in provider.entities() if entities is None or "*" in entities or e in entities]
        now = datetime.now(timezone.utc)
        with self.db as uow:
            sealed = repo.current_counts_by_seal(uow.session, visible)
        out = []
        for entity in visible:
            try:
                key = provider.get(entity)
            except SealKeyError as exc:
                out.append({"entity": entity, "state": "unusable", "problem": str(exc)})
                continue
            status = seal_status(key.certificate, now, EXPIRY_WARNING_DAYS if within_days is None else within_days)
            out.append(dict(status, entity=entity, fingerprint=key.fingerprint_sha256,
                            current_certificates=sealed.get((entity, key.fingerprint_sha256), 0)))
        return out

    @rpc(expected_exceptions=EXPECTED)
    def readable(self, vin):
        """The current certificate of `vin` read back: {summary, header, coc} (IVI-shaped, signature left out)."""
        found = self.get_current(vin)
        if self.seals.validator is None:
            raise NotFound("the IVI schema is not configured (ECOC_IVI_SCHEMA): certificates cannot be read")
        data = read_ivi(found["document"].encode("utf-8"), self.seals.schema)
        return {"summary": found["summary"], "header": data["header"], "coc": data["coc"]}

    @rpc(expected_exceptions=EXPECTED)
    def documents(self, vin):
        """Every certificate version of `vin`, oldest first: {summary, document} with the exact text sealed
        (for evidence packs)."""
        self.caller.require("auditor")
        with self.db as uow:
            return [{"summary": repo.summary_dict(row), "document": row.document.decode("utf-8")}
                    for row in repo.all_versions(uow.session, vin)]

    @rpc(expected_exceptions=EXPECTED)
    def for_delivery(self, reference_ids=None, vins=None):
        """Sealed certificates to deliver to a NAP: the versions named by `reference_ids`, and the current version
        of each of `vins`; [{summary, document}] with the exact text sealed, of the caller's entities only (others
        are left out, like missing ones)."""
        entities = self.caller.entities("data_steward", "signer", service=True)
        reference_ids = [r for r in (reference_ids or []) if is_uuid(r)]
        with self.db as uow:
            rows = repo.by_reference(uow.session, reference_ids) + repo.current_of(uow.session, vins or [])
        return [{"summary": repo.summary_dict(row), "document": row.document.decode("utf-8")}
                for row in rows if entities is None or row.entity in entities]


def _rpc_deadline(call):
    """A deadline for an RPC made by a worker; it raises TimeoutError (an Exception, so nameko's worker handles
    it: an event is retried) rather than eventlet.Timeout, which would escape the worker."""
    seconds = settings().rpc_timeout
    return eventlet.Timeout(seconds, TimeoutError(f"{call} did not answer within {seconds:g}s"))
