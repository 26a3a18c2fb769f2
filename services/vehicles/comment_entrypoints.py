"""The vehicles service's comments on vehicles and releases: immutable, attributed to the caller, audited.

A mixin of `services.vehicles.service.VehiclesService`. Whoever may see the vehicle or the release may read its
comments; writing one needs a role that works on it (not `viewer` alone). A vehicle or release of another
entity does not exist for the caller (NotFound), as everywhere."""
from common.rpc import rpc

from common.contracts.events import COMMENT_ADDED
from common.contracts.vehicles import CommentIn
from common.errors import EXPECTED, load_or_raise
from services.vehicles import repository as repo

WRITERS = ("approvals_manager", "data_steward", "reviewer", "signer", "auditor", "team_lead")


class CommentEntrypoints:

    def _comment_subject(self, vin, release_id):
        """(entity, vin, release_id) of what a comment is about, when the caller may see it."""
        if release_id is not None:
            return self.get_release(release_id)["entity"], None, release_id
        return self.get(vin)["entity"], vin, None

    @rpc(expected_exceptions=EXPECTED)
    def add_comment(self, payload, vin=None, release_id=None):
        self.caller.require(*WRITERS)
        data = load_or_raise(CommentIn(), payload)
        entity, vin, release_id = self._comment_subject(vin, release_id)
        with self.db as uow:
            comment = repo.add_comment(uow.session, entity, self.caller.sub, data["body"], vin, release_id)
            uow.emit(COMMENT_ADDED, {"comment_id": comment["id"], "vin": vin, "release_id": release_id,
                                     "body": data["body"]}, subject=vin or release_id, entity=entity)
            uow.commit()
        return comment

    @rpc(expected_exceptions=EXPECTED)
    def comments(self, vin=None, release_id=None):
        _, vin, release_id = self._comment_subject(vin, release_id)
        with self.db as uow:
            return repo.comments_of(uow.session, vin, release_id)
