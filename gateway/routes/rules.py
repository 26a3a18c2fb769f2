"""The validation rule catalogue: every rule with its pack, version, severity, applicability and description."""
from marshmallow import fields

from common.contracts.responses import RulePage
from gateway.http import route
from gateway.routes.paging import Page, page_of


class RuleQuery(Page):
    pack = fields.String(metadata={"description": "only the rules of this pack"})
    category = fields.String(metadata={"description": "only the rules applying to this vehicle category"})


class RuleRoutes:

    @route("GET", "/v1/rules", roles=(), query=RuleQuery, response=RulePage,
           summary="The validation rule catalogue")
    def list_rules(self, call):
        catalogue = self._rpc("validation", "rules", pack=call.query.get("pack"), category=call.query.get("category"))
        items, next_cursor = page_of(catalogue["items"], call.query)
        return dict(catalogue, items=items, next_cursor=next_cursor)
