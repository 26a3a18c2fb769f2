"""A release's paper CoCs as a background job (a mixin of `SigningService`), so a release of any size prints.

`start_release_paper` stores a queued job and answers at once. Every signing process (and replica) polls the
queue with a timer and claims one job at a time (`paper_repository.claim_job`, SKIP LOCKED), so jobs spread
over the processes and at most one release renders per process: a timer worker, not the event loop, waits for
the child process, and the child lowers its CPU priority so sealing goes first. Rendering counts the prints,
stores the file with its SHA-256 and records `paper_printed` in one transaction, exactly as a direct print does;
a job that fails keeps its reason (`paper_job_failed`). A job interrupted by a stopping service is queued again
at once; one whose process died mid-render is claimed again once its deadline has passed; at most
`MAX_ATTEMPTS` times.

Job ids are random UUIDs and a job belongs to its release's entity: a foreign job answers like a missing one.
"""
import base64
import hashlib
import logging
import uuid

from nameko.rpc import rpc
from nameko.timer import timer

from common.authz import may_see
from common.contracts.events import PAPER_JOB_FAILED, PAPER_JOB_REQUESTED
from common.errors import EXPECTED, Conflict, DomainError, InvalidInput, NotFound
from common.ids import is_uuid
from common.outbox import utcnow
from services.signing import paper_repository as paper_repo

log = logging.getLogger(__name__)
FORMS = ("pdf", "zip")
MEDIA_TYPES = {"pdf": "application/pdf", "zip": "application/zip"}
POLL_SECONDS = 2
MAX_ATTEMPTS = 3
CHUNK_BYTES = 4 * 1024 * 1024  # one RPC reply of a job's file: far below RabbitMQ's message size limit


DEADLINE_BASE, DEADLINE_PER_CERTIFICATE = 60, 10
LOST_AFTER = 60  # seconds past its deadline: a job still `rendering` then lost its process


def render_deadline(count):
    """Seconds a job of `count` certificates may render: generous (a certificate takes well under a second), so
    only a hung renderer hits it."""
    return DEADLINE_BASE + DEADLINE_PER_CERTIFICATE * count


def job_dict(row):
    return {"id": row.id, "release_id": row.release_id, "form": row.form, "status": row.status, "count": row.count,
            "requested_by": row.requested_by, "requested_at": row.requested_at.isoformat(),
            "started_at": row.started_at.isoformat() if row.started_at else None,
            "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            "reason": row.reason, "filename": row.filename, "media_type": row.media_type, "size": row.size,
            "sha256": row.sha256}


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
            paper_repo.add_job(uow.session, id=job_id, release_id=release_id, entity=entity, form=form,
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
        """Render waiting jobs one after another until none waits (one at a time in this process)."""
        while self._render_next_job():
            pass

    def _render_next_job(self):
        now = utcnow()
        with self.db as uow:
            row = paper_repo.claim_job(uow.session, now, DEADLINE_BASE + LOST_AFTER, DEADLINE_PER_CERTIFICATE)
            uow.commit()
        if row is None:
            return False
        if row.attempts > MAX_ATTEMPTS:
            self._fail_job(row, f"the renderer was lost {MAX_ATTEMPTS} times (its process stopped)")
            return True
        log.info("print job %s: rendering release %s (%d certificates)", row.id, row.release_id, row.count)
        try:
            with self.db as uow:
                certificates = paper_repo.of_release(uow.session, row.release_id)

            def finish(uow, content):
                paper_repo.finish_job(uow.session, row.id, content, hashlib.sha256(content).hexdigest(), utcnow())

            self._print(row.entity, certificates, row.form, row.release_id, who=row.requested_by,
                        timeout=render_deadline(len(certificates)), background=True, job_id=row.id, finish=finish)
        except DomainError as exc:
            self._fail_job(row, exc.detail)
        except BaseException:
            # the service is stopping (or the database failed): the job waits for the next process at once
            # rather than for its deadline
            with self.db as uow:
                paper_repo.requeue_job(uow.session, row.id)
                uow.commit()
            raise
        return True

    def _fail_job(self, row, reason):
        log.error("print job %s failed: %s", row.id, reason)
        with self.db as uow:
            paper_repo.fail_job(uow.session, row.id, reason, utcnow())
            uow.emit(PAPER_JOB_FAILED, {"job_id": row.id, "release_id": row.release_id, "reason": reason},
                     subject=row.release_id, entity=row.entity, actor=row.requested_by)
            uow.commit()
