"""Teams, ownership rules and the work they own (the vehicles service keeps them)."""
from marshmallow import Schema, fields, validate

from common.contracts.responses import OwnershipRuleList, OwnershipRuleOut, TeamList, TeamOut, WorkList
from common.contracts.vehicles import OwnershipRuleIn, TeamIn
from gateway.http import route


class WorkQuery(Schema):
    team = fields.String(validate=validate.Length(1, 36), metadata={"description": "a team id, or `none`: unowned"})
    assignee = fields.String(validate=validate.Length(1, 200), metadata={"description": "the teams of this `sub`"})


class WorkRoutes:

    @route("GET", "/v1/teams", roles=(), response=TeamList, summary="The teams of the caller's entities")
    def list_teams(self, call):
        return {"items": self._rpc("vehicles", "teams")}

    @route("POST", "/v1/teams", roles=("team_lead",), body=TeamIn, response=TeamOut, errors=(404,),
           summary="Create a team of an entity, or replace its members (by `sub`)")
    def save_team(self, call):
        return self._rpc("vehicles", "save_team", call.body)

    @route("GET", "/v1/ownership-rules", roles=(), response=OwnershipRuleList,
           summary="The ownership rules of the caller's entities, in the order they are tried")
    def list_ownership_rules(self, call):
        return {"items": self._rpc("vehicles", "ownership_rules")}

    @route("POST", "/v1/ownership-rules", roles=("team_lead",), body=OwnershipRuleIn, response=OwnershipRuleOut,
           status=201, location="/v1/ownership-rules", summary="Add an ownership rule: vehicles matching it (and releases whose first vehicle does) "
                               "belong to the team")
    def add_ownership_rule(self, call):
        return self._rpc("vehicles", "add_ownership_rule", call.body)

    @route("GET", "/v1/work", roles=(), query=WorkQuery, response=WorkList,
           summary="Blocked vehicles and releases waiting for review or signing, with owning team and age",
           description="Oldest first; `overdue` after `ECOC_WORK_OVERDUE_HOURS`.")
    def list_work(self, call):
        q = call.query
        return self._rpc("vehicles", "work", q.get("team"), q.get("assignee"), self.settings.work_overdue_hours)
