"""The validation rule catalogue: every rule with its pack, version, severity, applicability and description."""
from gateway.http import http, json_response


class RuleRoutes:

    @http("GET", "/v1/rules")
    def list_rules(self, request):
        self._who(request)
        catalogue = self._rpc("validation", "rules", pack=request.args.get("pack"),
                              category=request.args.get("category"))
        return json_response(dict(catalogue, next_cursor=None))
