"""The dashboard's work and team pages' forms: claiming, assigning and giving back work items, and the team-management
page of team leads (teams, their members and groups, ownership rules). Plain HTML forms with the session's CSRF token,
going through the same RPCs and checks as `/v1/work/…/assignee`, `/v1/teams` and `/v1/ownership-rules`."""
from marshmallow import ValidationError

from common.contracts.vehicles import AssigneeIn, OwnershipRuleIn, TeamChangeIn, TeamIn
from common.errors import Conflict
from gateway.auth import require
from gateway.dashboard.render import redirect
from gateway.dashboard.schemas import TeamsPageQuery
from gateway.http import route
from gateway.problems import invalid, not_found
from gateway.routes.dashboard_actions import ACTION, ACTION_ERRORS, FORM, _form_errors
from gateway.routes.work import WORKERS
from services.vehicles.domain.ownership import FIELDS

KINDS = {"vehicles": "vehicle", "releases": "release"}  # as in the API's paths → the service's kinds of work


class DashboardWorkRoutes:

    @route("POST", "/dashboard/work/{kind}/{item_id}/assignee", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS,
           summary="Claim a work item (`assignee`: my `sub`), assign it to a member of its team (team lead), or "
                   "give it back (`unassign`), as the API")
    def update_work_assignee_action(self, call, kind, item_id):
        def act(identity):
            if kind not in KINDS:
                raise not_found(f"no kind of work {kind}")
            form = call.request.form
            assignee = (form.get("assignee") or "").strip()
            if not form.get("unassign"):
                try:
                    body = AssigneeIn().load({"assignee": assignee})
                except ValidationError as exc:
                    raise invalid("Name who works on it.", _form_errors(exc)) from None
                self._rpc("vehicles", "assign_work", KINDS[kind], item_id, body)
                done = "claimed" if assignee == identity["sub"] else "assigned"
            else:
                self._rpc("vehicles", "unassign_work", KINDS[kind], item_id)
                done = "unassigned"
            mine = "mine=1&" if form.get("mine") else ""
            return redirect(f"/dashboard/work?{mine}done={done}#work-{item_id}")
        return self._act(call, WORKERS, act)

    # -- teams and ownership rules ----------------------------------------------------------------

    @route("GET", "/dashboard/teams", query=TeamsPageQuery, produces="text/html", errors=(303, 401, 403, 422),
           summary="Teams of my entities with their members and groups, and the ownership rules (team leads)")
    def get_teams_page(self, call):
        def build(identity):
            require(identity, "team_lead")
            return self._html("teams.html", identity, teams=self._rpc("vehicles", "teams"),
                              rules=self._rpc("vehicles", "ownership_rules"), fields=list(FIELDS),
                              done=call.query.get("done"))
        return self._page(call, build)

    @route("POST", "/dashboard/teams", consumes=FORM, produces="text/html", status=303, description=ACTION,
           errors=ACTION_ERRORS, summary="Create a team of an entity, without members yet (as the API)")
    def create_team_action(self, call):
        def act(identity):
            form = call.request.form
            try:
                body = TeamIn().load({"entity": form.get("entity") or "", "name": (form.get("name") or "").strip(),
                                      "members": [], "groups": []})
            except ValidationError as exc:
                raise invalid("Name the team and its entity.", _form_errors(exc)) from None
            if any(t["entity"] == body["entity"] and t["name"] == body["name"] for t in self._rpc("vehicles", "teams")):
                raise Conflict(f"{body['entity']} has a team {body['name']} already")  # saving would empty it
            self._rpc("vehicles", "save_team", body)
            return redirect("/dashboard/teams?done=created")
        return self._act(call, ("team_lead",), act)

    @route("POST", "/dashboard/teams/{team_id}/members", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS,
           summary="Add or remove a member (`add_member`, `remove_member`: a `sub`) or a group (`add_group`, "
                   "`remove_group`) of a team (as the API)")
    def update_team_members_action(self, call, team_id):
        def act(identity):
            form = call.request.form
            change = {f"{verb}_{what}s": [v.strip() for v in form.getlist(f"{verb}_{what}") if v.strip()]
                      for verb in ("add", "remove") for what in ("member", "group")}
            if not any(change.values()):
                raise invalid("Name a member or a group.", [{"field": "add_member", "message": "a `sub` or a group"}])
            try:
                body = TeamChangeIn().load(change)
            except ValidationError as exc:
                raise invalid("Members and groups are 1 to 200 characters.", _form_errors(exc)) from None
            self._rpc("vehicles", "change_team", team_id, body)
            return redirect(f"/dashboard/teams?done=changed#team-{team_id}")
        return self._act(call, ("team_lead",), act)

    @route("POST", "/dashboard/ownership-rules", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS, summary="Add an ownership rule (as the API)")
    def add_ownership_rule_action(self, call):
        def act(identity):
            form = call.request.form
            try:
                body = OwnershipRuleIn().load({"team_id": form.get("team_id") or "", "field": form.get("field") or "",
                                               "pattern": (form.get("pattern") or "").strip(),
                                               "position": form.get("position") or "100"})
            except ValidationError as exc:
                raise invalid("The rule cannot be added like that.", _form_errors(exc)) from None
            self._rpc("vehicles", "add_ownership_rule", body)
            return redirect("/dashboard/teams?done=rule-added#rules")
        return self._act(call, ("team_lead",), act)

    @route("POST", "/dashboard/ownership-rules/{rule_id}/delete", consumes=FORM, produces="text/html", status=303,
           description=ACTION, errors=ACTION_ERRORS, summary="Remove an ownership rule (as the API)")
    def delete_ownership_rule_action(self, call, rule_id):
        def act(identity):
            self._rpc("vehicles", "remove_ownership_rule", rule_id)
            return redirect("/dashboard/teams?done=rule-removed#rules")
        return self._act(call, ("team_lead",), act)
