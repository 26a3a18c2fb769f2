"""Releases through review and signing, the release list and a release's certificates as one zip."""
import tempfile
from datetime import datetime, timezone

from marshmallow import fields, validate
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from common.contracts.responses import ReleaseItemContent, ReleaseOut, ReleasePage, ReleaseRequested
from common.contracts.vehicles import RejectIn, ReleaseIn
from gateway.http import route
from gateway.problems import forbidden
from gateway.routes.filters import WorkFilters
from gateway.routes.paging import Page
from services.signing.domain.archive import RELEASE_CHUNK, write_archive
from services.vehicles.domain.releases import RELEASE_STATES

IN_MEMORY_ARCHIVE = 16 << 20  # a larger archive is written to a temporary file while it is made


class ReleaseQuery(Page, WorkFilters):
    status = fields.String(validate=validate.OneOf(RELEASE_STATES), metadata={"description": "releases in this state"})
    entity = fields.String(validate=validate.Length(1, 32), metadata={"description": "releases of this entity"})
    requested_by = fields.String(validate=validate.Length(1, 200),
                                 metadata={"description": "releases this caller (`sub`) requested"})
    since = fields.AwareDateTime(metadata={"description": "requested at or after this ISO-8601 date-time (with zone)"})
    approval_number = fields.String(validate=validate.Length(1, 35), metadata={
        "description": "releases holding a vehicle of this approval number (as the vehicle names it or as the release "
                       "pinned it)"})


RETRY_AFTER_SECONDS = 2  # signing seals a release of a hundred vehicles in about this time on a small machine


class ReleaseRoutes:

    @route("POST", "/v1/releases", roles=("data_steward",), body=ReleaseIn, response=ReleaseRequested, status=201,
           cost=lambda call: len(call.body["vins"]),
           location="/v1/releases/{id}", summary="Request a release of valid vehicles",
           description="Only `valid` vehicles enter; the others are "
           "listed in `rejected` with the reason.")
    def request_release(self, call):
        return self._rpc("vehicles", "request_release", call.body)

    @route("GET", "/v1/releases/{id}", roles=(), response=ReleaseOut,
           summary="A release with its counts and per-VIN state")
    def get_release(self, call, id):
        return self._rpc("vehicles", "get_release", id)

    @route("GET", "/v1/releases/{id}/items/{vin}", roles=(), response=ReleaseItemContent, operation_id="getReleaseItem",
           summary="A release item with the content its reviewers see and signing seals",
           description="`content` is the composed CoC (type-level data of the pinned approval revision merged with "
           "the vehicle revision, earlier stages included; the signing authority is added when sealing); "
           "`content_sha256` is the SHA-256 of its canonical JSON (keys sorted, no whitespace, UTF-8). Signing "
           "seals the item only if a fresh composition has the same digest.")
    def get_release_item(self, call, id, vin):
        return self._rpc("vehicles", "release_item", id, vin)

    @route("POST", "/v1/releases/{id}/approve", roles=("reviewer",), response=ReleaseOut,
           summary="Approve a release (four-eyes: never one you requested or hold a last edit in)")
    def approve_release(self, call, id):
        return self._rpc("vehicles", "approve_release", id)

    @route("POST", "/v1/releases/{id}/reject", roles=("reviewer",), body=RejectIn, response=ReleaseOut,
           summary="Reject a release (four-eyes)")
    def reject_release(self, call, id):
        return self._rpc("vehicles", "reject_release", id, call.body)

    @route("POST", "/v1/releases/{id}/sign", roles=("signer",), response=ReleaseOut, status=202,
           location="/v1/releases/{id}", retry_after=RETRY_AFTER_SECONDS,
           summary="Sign an approved release; signing runs in the background",
           description="The caller must be an authorised signatory of the release's entity.")
    def sign_release(self, call, id):
        return self._sign_release(call.identity, id)

    def _sign_release(self, identity, id):
        """Sign as `identity`, which must be an authorised signatory of the release's entity (the API and the
        dashboard's sign form alike)."""
        release = self._rpc("vehicles", "get_release", id)
        entity = self._rpc("approvals", "get_entity", release["entity"])
        signatory = next((s for s in entity["signatories"] if s["sub"] == identity["sub"]), None)
        if signatory is None:
            raise forbidden(f"{identity['sub']} is not an authorised signatory of {release['entity']}")
        return self._rpc("vehicles", "sign_release", id, signatory)

    @route("GET", "/v1/releases", roles=(), query=ReleaseQuery, response=ReleasePage, operation_id="listReleases",
           summary="The caller's releases in request order, with their vehicles counted by state",
           description="Filters combine; `since` with the last `requested_at` seen picks up where a reader left.")
    def list_releases(self, call):
        q = call.query
        return self._rpc("vehicles", "list_releases", q.get("status"), q.get("entity"), q.get("requested_by"),
                         q["since"].isoformat() if q.get("since") else None, q["limit"], q.get("cursor"),
                         q.get("intended_country"), q.get("approval_number"), q.get("older_than_days"), q.get("team"))

    @route("GET", "/v1/releases/{id}/certificates", roles=(), produces="application/zip",
           operation_id="getReleaseCertificates",
           summary="A release's signed certificates as one zip: each eCoC byte-exact, and manifest.json",
           description="`manifest.json` lists every vehicle of the release with the file, reference id, version "
                       "number and SHA-256 of its certificate, or its state and failure when it has none.")
    def release_certificates(self, call, id):
        release = self._rpc("vehicles", "get_release", id)  # 404 outside the caller's entities
        sealed = [item["vin"] for item in release["vehicles"] if item.get("reference_id")]
        chunks = (self._rpc("signing", "release_documents", id, sealed[at:at + RELEASE_CHUNK])
                  for at in range(0, len(sealed), RELEASE_CHUNK))
        target = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_ARCHIVE)
        write_archive(target, release, chunks, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        size = target.tell()
        target.seek(0)
        return Response(wrap_file(call.request.environ, target), status=200, mimetype="application/zip",
                        direct_passthrough=True, headers={
                            "Content-Length": str(size),
                            "Content-Disposition": f'attachment; filename="release-{id}-certificates.zip"'})
