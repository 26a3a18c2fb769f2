"""Teams, ownership rules and the work they own (the vehicles service keeps them)."""
from marshmallow import fields, validate
from werkzeug.wrappers import Response

from common.contracts.responses import (
    OwnershipRuleList, OwnershipRuleOut, TeamList, TeamOut, WorkAssignmentOut, WorkList,
)
from common.contracts.vehicles import AssigneeIn, OwnershipRuleIn, TeamChangeIn, TeamIn
from gateway.http import route
from gateway.routes.filters import WorkFilters
from gateway.routes.paging import DEFAULT_LIMIT, Page

MAX_WORK = 500
KINDS = ("vehicle", "release")

WORKERS = ("data_steward", "reviewer", "signer", "team_lead")  # who may claim work
CLAIM = ("A member of the owning team (by `sub`, or by a group of the token's groups claim) claims the item with "
         "their own `sub` (409 while someone else works on it); a team lead assigns it to a member (by `sub`) or "
         "takes it over. The assignment ends when the item leaves the work list. Audited (`work_assigned`).")
UNCLAIM = "The assignee gives the item back, or a team lead takes the assignee off it. Audited (`work_unassigned`)."


class WorkQuery(Page, WorkFilters):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_WORK),
                           metadata={"description": f"page size, default {DEFAULT_LIMIT}, at most {MAX_WORK}"})
    approval_number = fields.String(validate=validate.Length(1, 35), metadata={
        "description": "type-approval number; a release: its first vehicle's (by VIN, the one that decides its owner)"})
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={"description": "only vehicles, or only releases"})
    assignee = fields.String(validate=validate.Length(1, 200),
                             metadata={"description": "the work assigned to this `sub`, or `none`: to nobody"})
    mine = fields.Boolean(metadata={"description": "my work: of the teams I am a member of, and assigned to me"})


class WorkRoutes:

    @route("GET", "/v1/teams", roles=(), response=TeamList, summary="The teams of the caller's entities")
    def list_teams(self, call):
        return {"items": self._rpc("vehicles", "teams")}

    @route("POST", "/v1/teams", roles=("team_lead",), body=TeamIn, response=TeamOut, errors=(404,),
           summary="Create a team of an entity, or replace its members (by `sub`) and groups")
    def save_team(self, call):
        return self._rpc("vehicles", "save_team", call.body)

    @route("PATCH", "/v1/teams/{team_id}", roles=("team_lead",), body=TeamChangeIn, response=TeamOut, errors=(404,),
           summary="Add or remove members (by `sub`) and groups of a team")
    def update_team(self, call, team_id):
        return self._rpc("vehicles", "change_team", team_id, call.body)

    @route("GET", "/v1/ownership-rules", roles=(), response=OwnershipRuleList,
           summary="The ownership rules of the caller's entities, in the order they are tried")
    def list_ownership_rules(self, call):
        return {"items": self._rpc("vehicles", "ownership_rules")}

    @route("POST", "/v1/ownership-rules", roles=("team_lead",), body=OwnershipRuleIn, response=OwnershipRuleOut,
           status=201, location="/v1/ownership-rules", summary="Add an ownership rule: vehicles matching it (and releases whose first vehicle does) "
                               "belong to the team")
    def add_ownership_rule(self, call):
        return self._rpc("vehicles", "add_ownership_rule", call.body)

    @route("DELETE", "/v1/ownership-rules/{rule_id}", roles=("team_lead",), status=204, errors=(404,),
           summary="Remove an ownership rule")
    def delete_ownership_rule(self, call, rule_id):
        self._rpc("vehicles", "remove_ownership_rule", rule_id)
        return Response(status=204)

    @route("GET", "/v1/work", roles=(), query=WorkQuery, response=WorkList,
           summary="Blocked vehicles and releases waiting for review or signing, with owning team, assignee and age",
           description="Oldest first (by since, then kind, then id), paged; `overdue` after `ECOC_WORK_OVERDUE_HOURS`. "
                       "`team`, `assignee` and `mine` are judged after reading, so a page may hold fewer items than "
                       "`limit`: follow `next_cursor`.")
    def list_work(self, call):
        return self._work_page(call.query)

    def _work_page(self, q):
        """One page of the work list for the query `q` (the API's and the dashboard page's)."""
        return self._rpc("vehicles", "work", q.get("team"), q.get("assignee"), self.settings.work_overdue_hours,
                         mine=bool(q.get("mine")), intended_country=q.get("intended_country"),
                         approval_number=q.get("approval_number"), older_than_days=q.get("older_than_days"),
                         kind=q.get("kind"), limit=q["limit"], cursor=q.get("cursor"))

    @route("PUT", "/v1/work/vehicles/{vin}/assignee", roles=WORKERS, body=AssigneeIn, response=WorkAssignmentOut,
           errors=(404, 409), summary="Claim a blocked vehicle, or assign it to a member of its team",
           description=CLAIM)
    def put_vehicle_assignee(self, call, vin):
        return self._rpc("vehicles", "assign_work", "vehicle", vin, call.body)

    @route("DELETE", "/v1/work/vehicles/{vin}/assignee", roles=WORKERS, status=204, errors=(404,),
           summary="Give a blocked vehicle back, or take its assignee off it", description=UNCLAIM)
    def delete_vehicle_assignee(self, call, vin):
        self._rpc("vehicles", "unassign_work", "vehicle", vin)
        return Response(status=204)

    @route("PUT", "/v1/work/releases/{release_id}/assignee", roles=WORKERS, body=AssigneeIn,
           response=WorkAssignmentOut, errors=(404, 409),
           summary="Claim a waiting release, or assign it to a member of its team", description=CLAIM)
    def put_release_assignee(self, call, release_id):
        return self._rpc("vehicles", "assign_work", "release", release_id, call.body)

    @route("DELETE", "/v1/work/releases/{release_id}/assignee", roles=WORKERS, status=204, errors=(404,),
           summary="Give a waiting release back, or take its assignee off it", description=UNCLAIM)
    def delete_release_assignee(self, call, release_id):
        self._rpc("vehicles", "unassign_work", "release", release_id)
        return Response(status=204)
