"""A release's paper CoCs as a background job (a mixin of `SigningService`), so a release of any size prints.

`start_release_paper` stores a queued job cut into parts (ranges of the release's VINs, `ECOC_PAPER_PART_SIZE`
certificates each) and answers at once. Every signing process (and replica) polls the queue with a timer and
renders parts with PARTS_AT_ONCE renderers, each claiming one part at a time (`paper_repository.claim_part`,
SKIP LOCKED), so a release's parts spread over the processes: a timer worker's green threads, not the event loop,
wait for the child processes, and the children lower their CPU priority so sealing goes first. Rendering a part
counts its prints, keeps the part and records `paper_printed` in one transaction, exactly as a direct print does.
Whoever renders the last part puts the job together: the parts' files in VIN order make the job's file (PAdES
sealed once, for an entity that seals its paper), stored with its SHA-256 while the parts are dropped; the timer
also puts together jobs left with every part rendered by a process that stopped. A job that fails keeps its
reason (`paper_job_failed`). A part interrupted by a stopping service is queued again at once; one whose process
died mid-render is claimed again once its deadline has passed (a late render of it is not kept); at most
`MAX_ATTEMPTS` times. A stopping service ends its renderers after their current parts (nameko's stop waits for
the running tick): the parts left wait queued for the other processes, or for this one when it is back.

Job ids are random UUIDs and a job belongs to its release's entity: a foreign job answers like a missing one.
"""
import base64
import hashlib
import logging
import uuid

import eventlet
from common.rpc import rpc
from nameko.timer import timer

from common.authz import may_see
from common.config import settings
from common.contracts.events import PAPER_JOB_FAILED, PAPER_JOB_REQUESTED
from common.errors import EXPECTED, Conflict, DomainError, InvalidInput, NotFound
from common.ids import is_uuid
from common.outbox import utcnow
from services.signing import paper_process
from services.signing import paper_repository as paper_repo

log = logging.getLogger(__name__)
FORMS = ("pdf", "zip")
MEDIA_TYPES = {"pdf": "application/pdf", "zip": "application/zip"}
POLL_SECONDS = 2
MAX_ATTEMPTS = 3
PARTS_AT_ONCE = 2  # renderers of parts per process (each a child process at low CPU priority)
CHUNK_BYTES = 4 * 1024 * 1024  # one RPC reply of a job's file: far below RabbitMQ's message size limit


DEADLINE_BASE, DEADLINE_PER_CERTIFICATE = 60, 10
LOST_AFTER = 60  # seconds past its deadline: a part still `rendering` then lost its process


def render_deadline(count):
    """Seconds a part (or the putting together of a job) of `count` certificates may render: generous (a
    certificate takes well under a second), so only a hung renderer hits it."""
    return DEADLINE_BASE + DEADLINE_PER_CERTIFICATE * count


def job_dict(row):
    return {"id": row.id, "release_id": row.release_id, "form": row.form, "status": row.status, "count": row.count,
            "requested_by": row.requested_by, "requested_at": row.requested_at.isoformat(),
            "started_at": row.started_at.isoformat() if row.started_at else None,
            "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            "reason": row.reason, "filename": row.filename, "media_type": row.media_type, "size": row.size,
            "sha256": row.sha256, "parts": row.parts,
            "parts_done": row.parts if row.status == "done" else row.parts_done}


class PaperJobEntrypoints:

    @rpc(expected_exceptions=EXPECTED)
    def start_release_paper(self, release_id, form="pdf"):
        """Queue the printing of every certificate a release sealed, in VIN order, as one print file (`pdf`) or a
        zip of one PDF per VIN (`zip`); the job (see `paper_job`), recorded as `paper_job_requested`."""
        caller = self.caller.require()
        if form not in FORMS:
            raise InvalidInput("Invalid form.", [{"field": "form", "message": f"one of {', '.join(FORMS)}"}])
        found = None
        if is_uuid(release_id):
            with self.db as uow:
                found = paper_repo.release_summary(uow.session, release_id)
        if found is None or not may_see(caller, found[0]):
            raise NotFound(f"no sealed certificates for release {release_id}")
        entity, count = found
        job_id = str(uuid.uuid4())
        with self.db as uow:
            parts = paper_repo.part_bounds(uow.session, release_id, settings().paper_part_size)
            paper_repo.add_job(uow.session, parts, id=job_id, release_id=release_id, entity=entity, form=form,
                               status="queued", requested_by=caller["sub"], requested_roles=caller.get("roles") or [],
                               requested_at=utcnow(), count=count, filename=f"release-{release_id}-coc.{form}",
                               media_type=MEDIA_TYPES[form])
            uow.emit(PAPER_JOB_REQUESTED, {"job_id": job_id, "release_id": release_id, "form": form, "count": count},
                     subject=release_id, entity=entity)
            uow.commit()
            return job_dict(paper_repo.job(uow.session, job_id))

    @rpc(expected_exceptions=EXPECTED)
    def paper_job(self, job_id):
        """A print job: status queued | rendering | done | failed, with the reason of a failure and the size and
        SHA-256 of a finished file."""
        return job_dict(self._visible_job(job_id))

    @rpc(expected_exceptions=EXPECTED)
    def paper_job_chunk(self, job_id, offset=0):
        """CHUNK_BYTES of a finished job's file from `offset`: {content (base64), size}; Conflict while it is
        not done, or with the reason it failed."""
        row = self._visible_job(job_id)
        if row.status == "failed":
            raise Conflict(f"print job {job_id} failed: {row.reason}")
        if row.status != "done":
            raise Conflict(f"print job {job_id} is {row.status}; its file is not ready")
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= row.size:
            raise InvalidInput("Invalid offset.", [{"field": "offset", "message": f"0 to {row.size}"}])
        with self.db as uow:
            chunk = paper_repo.job_chunk(uow.session, job_id, offset, CHUNK_BYTES)
        return {"content": base64.b64encode(chunk).decode("ascii"), "size": row.size}

    def _visible_job(self, job_id):
        caller = self.caller.require()
        row = None
        if is_uuid(job_id):
            with self.db as uow:
                row = paper_repo.job(uow.session, job_id)
        if row is None or not may_see(caller, row.entity):
            raise NotFound(f"no print job {job_id}")
        return row

    @timer(interval=POLL_SECONDS)
    def render_paper_jobs(self):
        """Put together the jobs whose parts are all rendered (left so by a process that stopped), then render
        waiting parts with PARTS_AT_ONCE renderers, each with a unit of work of its own, until none waits or the
        service stops (each renderer ends after its current part; the others wait for the next process)."""
        db = self.db.fork()
        with db as uow:
            rendered = paper_repo.rendered_jobs(uow.session)
        for job_id in rendered:
            if self.stopping():
                return
            try:
                self._put_together(db, job_id)
            except Exception:  # tried again on the next tick; the parts of other jobs render meanwhile
                log.exception("print job %s: its parts could not be put together", job_id)
        renderers = [eventlet.spawn(self._render_parts, self.db.fork()) for _ in range(PARTS_AT_ONCE)]
        try:
            for renderer in renderers:
                renderer.wait()
        except BaseException:  # the service is stopping: each renderer queues its part again before it ends
            for renderer in renderers:
                renderer.kill()
            for renderer in renderers:
                try:
                    renderer.wait()
                except BaseException:
                    pass
            raise

    def _render_parts(self, db):
        while not self.stopping() and self._render_next_part(db):
            pass

    def _render_next_part(self, db):
        """Claim a part, render it and keep it; the last part rendered puts the job together. False when no part
        waits."""
        with db as uow:
            part = paper_repo.claim_part(uow.session, utcnow(), DEADLINE_BASE + LOST_AFTER, DEADLINE_PER_CERTIFICATE)
            uow.commit()
        if part is None:
            return False
        if part.attempts > MAX_ATTEMPTS:
            self._fail_job(db, part.job_id, part, f"the renderer was lost {MAX_ATTEMPTS} times (its process stopped)")
            return True
        log.info("print job %s: rendering part %d of %d of release %s (%d certificates)", part.job_id, part.part,
                 part.parts, part.release_id, part.count)
        try:
            with db as uow:
                certificates = paper_repo.of_release(uow.session, part.release_id, part.after_vin, part.upto_vin)

            def finish(uow, content):
                if not paper_repo.finish_part(uow.session, part.job_id, part.part, part.attempts, content):
                    raise PartTaken()

            self._print(part.entity, certificates, part.form, part.release_id, who=part.requested_by,
                        timeout=render_deadline(len(certificates)), background=True,
                        job={"job_id": part.job_id, "part": part.part}, finish=finish, db=db,
                        seal=part.parts == 1 or part.form == "zip")
        except PartTaken:
            log.warning("print job %s: part %d was taken from this renderer as lost; its render is dropped",
                        part.job_id, part.part)
            return True
        except DomainError as exc:
            self._fail_job(db, part.job_id, part, exc.detail)
            return True
        except BaseException:
            # the service is stopping (or the database failed): the part waits for the next renderer at once
            # rather than for its deadline
            with db as uow:
                paper_repo.requeue_part(uow.session, part.job_id, part.part, part.attempts)
                uow.commit()
            raise
        with db as uow:
            left = paper_repo.parts_left(uow.session, part.job_id)
        if left == 0:
            self._put_together(db, part.job_id)
        return True

    def _put_together(self, db, job_id):
        """The job's file from its rendered parts in part (VIN) order, stored with its SHA-256, the parts dropped:
        one transaction, holding the job's row (a process that finds it held leaves the job to its holder). A
        merged PDF is sealed (PAdES) once, here."""
        try:
            with db as uow:
                job = paper_repo.locked_job(uow.session, job_id)
                if job is None:
                    return
                contents = paper_repo.part_contents(uow.session, job_id)
                if len(contents) == 1:
                    content = contents[0]
                else:
                    pades = job.form == "pdf" and paper_repo.layout(uow.session, job.entity).get("pades")
                    merge = {"merge": [base64.b64encode(c).decode("ascii") for c in contents], "form": job.form,
                             "seal": self._paper_seal(job.entity) if pades else None}
                    content = paper_process.render(merge, render_deadline(job.count), background=True)
                paper_repo.finish_job(uow.session, job_id, content, hashlib.sha256(content).hexdigest(), utcnow())
                paper_repo.drop_parts(uow.session, job_id)
                uow.commit()
            log.info("print job %s: done, %d parts put together", job_id, len(contents))
        except paper_process.RenderFailed as exc:
            self._fail_job(db, job_id, job, f"the parts could not be put together: {exc}")
        except DomainError as exc:
            self._fail_job(db, job_id, job, exc.detail)

    def _fail_job(self, db, job_id, job, reason):
        """Fail an active job (`paper_job_failed`); `job` holds its release, entity and requester."""
        log.error("print job %s failed: %s", job_id, reason)
        with db as uow:
            if paper_repo.fail_job(uow.session, job_id, reason, utcnow()):
                uow.emit(PAPER_JOB_FAILED, {"job_id": job_id, "release_id": job.release_id, "reason": reason},
                         subject=job.release_id, entity=job.entity, actor=job.requested_by)
            uow.commit()


class PartTaken(Exception):
    """A part's render came back after the part was claimed again as lost: the new renderer's counts."""
