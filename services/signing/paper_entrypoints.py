"""The paper CoC entrypoints of the signing service (a mixin of `SigningService`): print a certificate or a
release's certificates from their sealed bytes
(a release as a background job: `paper_jobs.PaperJobEntrypoints`), and keep each entity's layout for its security paper.

Every print is counted (the first is the original, later ones are marked DUPLICATE with their re-print
count) and recorded in the audit as `paper_printed`, in the transaction that counts it. Rendering runs in a
child process (`paper_process`), never on the event loop nor under the sealing process's GIL.
"""
import base64
import logging

from cryptography.hazmat.primitives import serialization
from common.rpc import rpc

from common.authz import may_see
from common.config import settings
from common.contracts.events import PAPER_LAYOUT_CHANGED, PAPER_PRINTED
from common.contracts.signing import PaperLayoutIn
from common.entity_code import code_problem
from common.errors import EXPECTED, Conflict, InvalidInput, NotFound, load_or_raise
from common.outbox import utcnow
from services.signing import paper_process
from services.signing import paper_repository as paper_repo
from services.signing.domain.keys import SealKeyError
from services.signing.paper.layout import Margins

log = logging.getLogger(__name__)


def _pem_certificate(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


class PaperEntrypoints:

    @rpc(expected_exceptions=EXPECTED)
    def paper(self, vin, version=None):
        """The paper CoC of `vin`'s current certificate, or of its IviVersionNumber `version` (a superseded or
        withdrawn one is marked so on every page): {filename, pdf (base64), print_number, reference_id,
        version_number, sha256}."""
        caller = self.caller.require()
        if version is None:
            found = self.get_current(vin)  # scoped; a withdrawn current certificate is a 404 saying so
            with self.db as uow:
                row = paper_repo.version(uow.session, vin, found["summary"]["version_number"])
        else:
            if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                raise InvalidInput("Invalid version.", [{"field": "version", "message": "an integer, 1 or more"}])
            with self.db as uow:
                row = paper_repo.version(uow.session, vin, version)
            if row is None or not may_see(caller, row.entity):
                raise NotFound(f"no certificate version {version} for {vin}")
        pdf, prints = self._print(row.entity, [row], "pdf", None)
        printed = prints[0]
        return {"filename": f"{vin}-v{row.version_number}-coc.pdf", "pdf": base64.b64encode(pdf).decode("ascii"),
                "print_number": printed["print_number"], "reference_id": row.reference_id,
                "version_number": row.version_number, "sha256": row.sha256}

    def _print(self, entity, rows, form, release_id, who=None, timeout=None, background=False, job=None,
               finish=None, db=None, seal=True):
        """Count one print of each certificate, render, and record the prints in the audit: all in one
        transaction, so a print that failed to render is not counted. `who` printed (the caller by default);
        `finish(uow, content)` stores a print job's part in the same transaction, `job` ({job_id, part}) names
        it in `paper_printed`. `db` is the unit of work of the calling green thread (the worker's by default);
        `seal=False` leaves the PAdES seal of an entity that seals its paper to the putting together of the
        job's parts."""
        db = db or self.db
        who = who or self.caller.sub
        with db as uow:
            layout = paper_repo.layout(uow.session, entity)
        pades = self._paper_seal(entity) if seal and layout.get("pades") else None
        with db as uow:
            numbers = paper_repo.record_prints(uow.session, [r.reference_id for r in rows], who, utcnow())
            prints = [{"vin": r.vin, "reference_id": r.reference_id, "version_number": r.version_number,
                       "print_number": numbers[r.reference_id]} for r in rows]
            render = {"layout": layout, "form": form, "seal": pades, "certificates": [
                {"document": base64.b64encode(r.document).decode("ascii"), "vin": r.vin,
                 "version_number": r.version_number, "status": r.status, "print_number": numbers[r.reference_id]}
                for r in rows]}
            if timeout is None:
                # within the gateway's deadline, so a print that would come too late is rolled back, not counted
                timeout = max(5.0, settings().rpc_timeout - 5)
            try:
                content = paper_process.render(render, timeout, background)
            except paper_process.RenderFailed as exc:
                log.error("entity %s: %s", entity, exc)
                raise Conflict(f"the paper CoC could not be rendered: {exc}") from None
            if finish is not None:
                finish(uow, content)
            uow.emit(PAPER_PRINTED, {"release_id": release_id, "form": form, "prints": prints, **(job or {})},
                     subject=rows[0].vin, subjects=[r.vin for r in rows], entity=entity, actor=who)
            uow.commit()
        return content, prints

    def _paper_seal(self, entity):
        """The entity's seal for PAdES, as the renderer takes it."""
        try:
            key = self.seals.sealer(entity).seal_key
        except SealKeyError as exc:
            raise Conflict(f"the paper CoC is to be sealed (PAdES) but {exc}") from None
        return {"key_pem": key.private_key.private_bytes(serialization.Encoding.PEM,
                                                         serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()).decode("ascii"),
                "certificate_pem": _pem_certificate(key.certificate),
                "chain_pem": [_pem_certificate(c) for c in key.chain or ()]}

    def _registered(self, entity):
        """NotFound unless `entity` is a registered legal entity (asked as this service)."""
        if code_problem(entity) or self._legal_name(entity) is None:
            raise NotFound(f"no legal entity {entity}")

    @rpc(expected_exceptions=EXPECTED)
    def paper_layout(self, entity):
        """The entity's print settings (defaults filled in)."""
        self.caller.scope(entity, f"legal entity {entity}")
        self._registered(entity)
        with self.db as uow:
            stored = paper_repo.layout(uow.session, entity)
        return _with_defaults(stored)

    @rpc(expected_exceptions=EXPECTED)
    def set_paper_layout(self, entity, layout):
        """Replace the entity's print settings (admin); recorded in the audit as `paper_layout_changed`."""
        self.caller.scope(entity, f"legal entity {entity}", "admin")
        self._registered(entity)
        data = load_or_raise(PaperLayoutIn(), layout)
        problem = data.get("background_svg") and paper_process.background_problem(
            data["background_svg"], max(5.0, settings().rpc_timeout - 5))
        if problem:
            raise InvalidInput("Invalid paper layout.", [{"field": "background_svg", "message": problem}])
        if data.get("pades"):
            self._paper_seal(entity)  # a seal to sign with must exist before paper is to be sealed
        with self.db as uow:
            paper_repo.put_layout(uow.session, entity, data, self.caller.sub, utcnow())
            uow.emit(PAPER_LAYOUT_CHANGED, {"settings": {k: v for k, v in data.items() if k != "background_svg"}
                                            | {"background_svg": bool(data.get("background_svg"))}},
                     subject=entity, entity=entity)
            uow.commit()
        return _with_defaults(data)


def _with_defaults(stored):
    margins = dict(vars(Margins()), **(stored.get("margins") or {}))
    return {"margins": margins, "background_svg": stored.get("background_svg"),
            "watermark": stored.get("watermark"), "language": stored.get("language", "en"),
            "pades": bool(stored.get("pades"))}
