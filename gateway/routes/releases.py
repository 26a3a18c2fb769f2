"""Releases through review and signing."""
from common.contracts.responses import ReleaseItemContent, ReleaseOut, ReleaseRequested
from common.contracts.vehicles import RejectIn, ReleaseIn
from gateway.http import route
from gateway.problems import forbidden


class ReleaseRoutes:

    @route("POST", "/v1/releases", roles=("data_steward",), body=ReleaseIn, response=ReleaseRequested, status=201,
           summary="Request a release of valid vehicles", description="Only `valid` vehicles enter; the others are "
           "listed in `rejected` with the reason.")
    def request_release(self, call):
        return self._rpc("vehicles", "request_release", call.body)

    @route("GET", "/v1/releases/{id}", roles=(), response=ReleaseOut,
           summary="A release with its counts and per-VIN state")
    def get_release(self, call, id):
        return self._rpc("vehicles", "get_release", id)

    @route("GET", "/v1/releases/{id}/items/{vin}", roles=(), response=ReleaseItemContent,
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
