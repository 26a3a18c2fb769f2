"""Comments on vehicles and releases: immutable, attributed to the caller, audited (the vehicles service keeps
them and emits `comment_added`)."""
from common.contracts.responses import CommentList, CommentOut
from common.contracts.vehicles import CommentIn
from gateway.http import route

WRITERS = ("approvals_manager", "data_steward", "reviewer", "signer", "auditor", "team_lead")


class CommentRoutes:

    @route("GET", "/v1/vehicles/{vin}/comments", roles=(), response=CommentList,
           summary="The comments on a vehicle, oldest first")
    def list_vehicle_comments(self, call, vin):
        return {"items": self._rpc("vehicles", "comments", vin=vin)}

    @route("POST", "/v1/vehicles/{vin}/comments", roles=WRITERS, body=CommentIn, response=CommentOut, status=201,
           location="/v1/vehicles/{vin}/comments",
           summary="Comment on a vehicle (immutable, attributed, audited)")
    def comment_vehicle(self, call, vin):
        return self._rpc("vehicles", "add_comment", call.body, vin=vin)

    @route("GET", "/v1/releases/{id}/comments", roles=(), response=CommentList,
           summary="The comments on a release, oldest first")
    def list_release_comments(self, call, id):
        return {"items": self._rpc("vehicles", "comments", release_id=id)}

    @route("POST", "/v1/releases/{id}/comments", roles=WRITERS, body=CommentIn, response=CommentOut, status=201,
           location="/v1/releases/{id}/comments",
           summary="Comment on a release (immutable, attributed, audited)")
    def comment_release(self, call, id):
        return self._rpc("vehicles", "add_comment", call.body, release_id=id)
