"""Legal entities with their signatories and seal certificate."""
from common.contracts.approvals import EntityBody
from common.contracts.responses import EntityOut, EntityPage
from gateway.auth import scoped
from gateway.http import route
from gateway.routes.paging import Page


class EntityRoutes:

    @route("PUT", "/v1/entities/{code}", roles=("admin",), body=EntityBody, response=EntityOut,
           operation_id="putEntity",
           summary="Register or update a legal entity",
           description="A legal name (compared case- and whitespace-insensitively) and a WMI belong to one entity: "
                       "another entity's is a 409 saying it is taken. In local mode an entity registered without a "
                       "seal certificate gets a self-signed one, once the entity is found fine.")
    def put_entity(self, call, code):
        scoped(call.identity, code, f"legal entity {code}")  # an admin acts for its own entities only
        body = dict(call.body, code=code)
        if not body.get("seal_certificate") and self.settings.local_mode:
            self._rpc("approvals", "check_entity", body)  # a refused entity gets no seal
            body["seal_certificate"] = self._rpc("signing", "ensure_seal", code, body["legal_name"])
        return self._rpc("approvals", "put_entity", body)

    @route("GET", "/v1/entities/{code}", roles=(), response=EntityOut, summary="A legal entity")
    def get_entity(self, call, code):
        scoped(call.identity, code, f"legal entity {code}")
        return self._rpc("approvals", "get_entity", code)

    @route("GET", "/v1/entities", roles=(), query=Page, response=EntityPage, operation_id="listEntities",
           summary="The legal entities the caller acts for, in code order")
    def list_entities(self, call):
        return self._rpc("approvals", "list_entities", call.query["limit"], call.query.get("cursor"))
