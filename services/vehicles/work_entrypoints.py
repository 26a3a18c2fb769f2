"""The vehicles service's teams, ownership rules and the work they own: every blocked vehicle and every release
waiting for review or signing, with its owning team and its age.

A mixin of `services.vehicles.service.VehiclesService`. `team_lead` (or `admin`) manages the teams and rules of its
entities; anyone of an entity reads them and its work."""
import datetime as dt

from nameko.rpc import rpc

from common.contracts.events import OWNERSHIP_RULE_ADDED, TEAM_SAVED
from common.contracts.vehicles import OwnershipRuleIn, TeamIn
from common.errors import EXPECTED, NotFound, load_or_raise
from services.vehicles import overview
from services.vehicles import repository as repo
from services.vehicles.domain.ownership import age_hours, check_rule, owner

WORK_LIMIT = 500


class WorkEntrypoints:

    @rpc(expected_exceptions=EXPECTED)
    def save_team(self, payload):
        self.caller.require("team_lead")
        data = load_or_raise(TeamIn(), payload)
        self.caller.scope(data["entity"], f"entity {data['entity']}")
        members = sorted(set(data["members"]))
        with self.db as uow:
            team = repo.save_team(uow.session, data["entity"], data["name"], members, self.caller.sub)
            uow.emit(TEAM_SAVED, {"team_id": team["id"], "name": team["name"], "members": members},
                     subject=team["id"], entity=data["entity"])
            uow.commit()
        return team

    @rpc(expected_exceptions=EXPECTED)
    def teams(self):
        with self.db as uow:
            return repo.teams_of(uow.session, self._entities())

    @rpc(expected_exceptions=EXPECTED)
    def add_ownership_rule(self, payload):
        self.caller.require("team_lead")
        data = load_or_raise(OwnershipRuleIn(), payload)
        check_rule(data)
        with self.db as uow:
            team = next((t for t in repo.teams_of(uow.session, self._entities()) if t["id"] == data["team_id"]), None)
            if team is None:
                raise NotFound(f"no team {data['team_id']}")
            rule = repo.add_ownership_rule(uow.session, team["entity"], team["id"], data["field"], data["pattern"],
                                           data["position"], self.caller.sub)
            uow.emit(OWNERSHIP_RULE_ADDED, {"rule_id": rule["id"], "team_id": team["id"], "field": rule["field"],
                                            "pattern": rule["pattern"], "position": rule["position"]},
                     subject=team["id"], entity=team["entity"])
            uow.commit()
        return _rule(rule)

    @rpc(expected_exceptions=EXPECTED)
    def ownership_rules(self):
        with self.db as uow:
            return [_rule(r) for r in repo.ownership_rules_of(uow.session, self._entities())]

    @rpc(expected_exceptions=EXPECTED)
    def work(self, team=None, assignee=None, overdue_hours=48):
        """{items}: blocked vehicles and waiting releases of the caller's entities, each with its owning team
        (null: no rule matches it) and age in hours, oldest first; `team` keeps one team's (`none`: the unowned),
        `assignee` the teams that person is a member of."""
        entities = self._entities()
        now = dt.datetime.now(dt.timezone.utc)
        with self.db as uow:
            teams = {t["id"]: t for t in repo.teams_of(uow.session, entities)}
            rules = repo.ownership_rules_of(uow.session, entities)
            mine = {t["id"] for t in teams.values() if assignee in t["members"]} if assignee is not None else None

            def wanted(team_id):
                return ((team is None or (team_id or "none") == team)
                        and (mine is None or team_id in mine))

            # the first WORK_LIMIT blocked vehicles that the filters keep, read in chunks of that size
            items, after = [], None
            while len(items) < WORK_LIMIT:
                chunk = repo.blocked_work(uow.session, entities, WORK_LIMIT, after)
                for v in chunk:
                    team_id = owner(v, rules)
                    if wanted(team_id) and len(items) < WORK_LIMIT:
                        items.append({"kind": "vehicle", "id": v["vin"], "entity": v["entity"],
                                      "waiting_for": "correction", "since": v["updated_at"].isoformat(),
                                      "team_id": team_id})
                if len(chunk) < WORK_LIMIT:
                    break
                after = (chunk[-1]["updated_at"], chunk[-1]["vin"])
            waiting = overview.waiting_releases(uow.session, entities)
            firsts = repo.first_vehicles_of(uow.session, [r["id"] for r in waiting])
        for r in waiting:
            first = firsts.get(r["id"])
            items.append({"kind": "release", "id": r["id"], "entity": r["entity"],
                          "waiting_for": overview.WAITING[r["status"]],
                          "since": (r["reviewed_at"] or r["requested_at"]).isoformat(),
                          "team_id": owner(first, rules) if first else None})
        items = [i for i in items if wanted(i["team_id"])]
        for i in items:
            i["team"] = teams[i["team_id"]]["name"] if i["team_id"] in teams else None
            i["age_hours"] = age_hours(dt.datetime.fromisoformat(i["since"]), now)
            i["overdue"] = i["age_hours"] >= overdue_hours
        items.sort(key=lambda i: i["since"])
        return {"items": items}


def _rule(row):
    return {k: row[k] for k in ("id", "entity", "team_id", "field", "pattern", "position", "created_by")} | {
        "created_at": row["created_at"].isoformat()}
