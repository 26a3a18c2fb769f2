"""The vehicles service's teams, ownership rules and the work they own: every blocked vehicle and every release
waiting for review or signing, with its owning team, its assignee and its age.

A mixin of `services.vehicles.service.VehiclesService`. `team_lead` (or `admin`) manages the teams and rules of its
entities; anyone of an entity reads them and its work. A member of the owning team claims an item; a team lead
assigns it to a member. An assignment ends when its item leaves the work list (`repository.end_assignments`)."""
import base64
import binascii
import datetime as dt

from common.rpc import rpc

from common import authz
from common.contracts.events import (
    OWNERSHIP_RULE_ADDED, OWNERSHIP_RULE_REMOVED, TEAM_SAVED, WORK_ASSIGNED, WORK_UNASSIGNED,
)
from common.contracts.vehicles import AssigneeIn, OwnershipRuleIn, TeamChangeIn, TeamIn
from common.errors import EXPECTED, InvalidInput, NotFound, load_or_raise
from common.ids import is_uuid
from services.vehicles import overview
from services.vehicles import repository as repo
from services.vehicles.domain.owned_pages import CHUNK, owned_page
from services.vehicles.domain.ownership import (
    NEEDS_APPROVAL, age_hours, check_assignment, check_rule, check_unassignment, owner, teams_of_member,
)

KINDS = ("vehicle", "release")
WORKERS = ("data_steward", "reviewer", "signer", "team_lead")  # who may work on (claim) an item


class WorkEntrypoints:

    @rpc(expected_exceptions=EXPECTED)
    def save_team(self, payload):
        self.caller.require("team_lead")
        data = load_or_raise(TeamIn(), payload)
        self.caller.scope(data["entity"], f"entity {data['entity']}")
        members = sorted(set(data["members"]))
        groups = sorted(set(data["groups"])) if data["groups"] is not None else None
        with self.db as uow:
            team = repo.save_team(uow.session, data["entity"], data["name"], members, groups, self.caller.sub)
            self._team_saved(uow, team)
            uow.commit()
        return team

    @rpc(expected_exceptions=EXPECTED)
    def change_team(self, team_id, payload):
        """Members and groups added to or removed from a team of the caller's entities."""
        self.caller.require("team_lead")
        data = load_or_raise(TeamChangeIn(), payload)
        with self.db as uow:
            team = repo.team_by_id(uow.session, team_id, self._entities(), for_update=True)
            if team is None:
                raise NotFound(f"no team {team_id}")
            members = sorted((set(team["members"]) | set(data["add_members"])) - set(data["remove_members"]))
            groups = sorted((set(team["groups"]) | set(data["add_groups"])) - set(data["remove_groups"]))
            repo.update_team(uow.session, team_id, members, groups, self.caller.sub)
            team = repo.team_by_id(uow.session, team_id, None)
            self._team_saved(uow, team)
            uow.commit()
        return team

    @staticmethod
    def _team_saved(uow, team):
        uow.emit(TEAM_SAVED, {"team_id": team["id"], "name": team["name"], "members": team["members"],
                              "groups": team["groups"]}, subject=team["id"], entity=team["entity"])

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
            team = repo.team_by_id(uow.session, data["team_id"], self._entities())
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
    def remove_ownership_rule(self, rule_id):
        self.caller.require("team_lead")
        with self.db as uow:
            rule = repo.ownership_rule_by_id(uow.session, rule_id, self._entities())
            if rule is None:
                raise NotFound(f"no ownership rule {rule_id}")
            repo.delete_ownership_rule(uow.session, rule_id)
            uow.emit(OWNERSHIP_RULE_REMOVED, {"rule_id": rule["id"], "team_id": rule["team_id"],
                                              "field": rule["field"], "pattern": rule["pattern"]},
                     subject=rule["team_id"], entity=rule["entity"])
            uow.commit()

    @rpc(expected_exceptions=EXPECTED)
    def ownership_rules(self):
        with self.db as uow:
            return [_rule(r) for r in repo.ownership_rules_of(uow.session, self._entities())]

    def _with_approval_fields(self, vehicles, rules):
        """`vehicles` with what rules read from their approval (its category), when a rule reads it: one RPC."""
        if not vehicles or not any(r["field"] in NEEDS_APPROVAL for r in rules):
            return vehicles
        references = sorted({(v["entity"], v["approval_number"]) for v in vehicles})
        found = dict(zip(references, self.approvals.categories([list(r) for r in references])))
        return [dict(v, category=found.get((v["entity"], v["approval_number"]))) for v in vehicles]

    @rpc(expected_exceptions=EXPECTED)
    def work(self, team=None, assignee=None, overdue_hours=48, mine=False, intended_country=None,
             approval_number=None, older_than_days=None, kind=None, limit=100, cursor=None):
        """{items, next_cursor}: one page of the blocked vehicles and waiting releases of the caller's entities, each
        with its owning team (null: no rule matches it), its assignee and its age in hours, oldest first (by since,
        kind, id). SQL keeps `intended_country`, `approval_number` (a release: its first vehicle's), `older_than_days`
        (waiting at least that long) and `kind`; Python keeps `team` (`none`: the unowned), `assignee` (`none`:
        nobody's) and `mine` (the work of the teams the caller is a member of, by `sub` or group, and the work
        assigned to the caller), so with these a page may be short (`domain.owned_pages`)."""
        if kind is not None and kind not in KINDS:
            raise InvalidInput("Unknown kind of work.", [{"field": "kind", "message": "vehicle or release"}])
        after = _position(cursor)
        entities = self._entities()
        caller = self.caller.get()
        now = dt.datetime.now(dt.timezone.utc)
        before = now - dt.timedelta(days=older_than_days) if older_than_days is not None else None
        filters = (intended_country, approval_number, before)
        with self.db as uow:
            teams = {t["id"]: t for t in repo.teams_of(uow.session, entities)}
            if team not in (None, "none") and team not in teams:
                raise InvalidInput("Unknown team.", [{"field": "team", "message": (
                    "not a team of your entities; `none`: work no team owns")}])
            rules = repo.ownership_rules_of(uow.session, entities)
            my_teams = teams_of_member(teams.values(), caller) if mine else None

            def wanted(item):
                return ((team is None or (item["team_id"] or "none") == team)
                        and (assignee is None or (item["assignee"] or "none") == assignee)
                        and (my_teams is None or item["team_id"] in my_teams or item["assignee"] == caller.get("sub")))

            def read(position, n):
                """The next n items of the merged list after `position`, with their owners and assignees."""
                found = []
                if kind in (None, "vehicle"):
                    found += [dict(v, kind="vehicle", id=v["vin"], since=v["updated_at"]) for v in
                              repo.blocked_work(uow.session, entities, n + 1, position, *filters)]
                if kind in (None, "release"):
                    found += [dict(r, kind="release", id=str(r["id"])) for r in
                              repo.waiting_work(uow.session, entities, n + 1, position, *filters)]
                found.sort(key=_order)
                page = found[:n]
                return self._work_items(uow, page, rules), len(found) > n

            python_filters = team is not None or assignee is not None or mine
            items, next_position = owned_page(read, wanted, _order, limit, after,
                                              chunk=CHUNK if python_filters else limit)
        for i in items:
            i["team"] = teams[i["team_id"]]["name"] if i["team_id"] in teams else None
            i["age_hours"] = age_hours(i["since"], now)
            i["overdue"] = i["age_hours"] >= overdue_hours
            i["since"] = i["since"].isoformat()
        return {"items": items, "next_cursor": _cursor(next_position) if next_position else None}

    def _work_items(self, uow, rows, rules):
        """Work items of blocked vehicles and waiting releases (`rows`, in the list's order): owning team, assignee."""
        vins = [r["id"] for r in rows if r["kind"] == "vehicle"]
        release_ids = [r["id"] for r in rows if r["kind"] == "release"]
        owned = {v["vin"]: v for v in self._with_approval_fields(
            [{k: r[k] for k in repo.WORK_FIELDS} for r in rows if r["kind"] == "vehicle"], rules)}
        firsts = repo.first_vehicles_of(uow.session, release_ids)
        firsts = dict(zip(firsts, self._with_approval_fields(list(firsts.values()), rules)))
        assigned = {"vehicle": repo.assignments_of(uow.session, "vehicle", vins),
                    "release": repo.assignments_of(uow.session, "release", release_ids)}
        items = []
        for r in rows:
            if r["kind"] == "vehicle":
                waiting_for, judged = "correction", owned[r["id"]]
            else:
                waiting_for, judged = overview.WAITING[r["status"]], firsts.get(r["id"])
            items.append(_assigned({"kind": r["kind"], "id": r["id"], "entity": r["entity"],
                                    "waiting_for": waiting_for, "since": r["since"],
                                    "team_id": owner(judged, rules) if judged else None},
                                   assigned[r["kind"]].get(r["id"])))
        return items

    def _work_item(self, uow, kind, item_id):
        """(entity, owning team or None) of a blocked vehicle or waiting release of the caller's entities;
        NotFound for anything else (another entity's item is answered like one that is not waiting)."""
        if kind not in KINDS:
            raise InvalidInput("Unknown kind of work.", [{"field": "kind", "message": "vehicle or release"}])
        entities = self._entities()
        rules = repo.ownership_rules_of(uow.session, entities)
        if kind == "vehicle":
            vehicle = repo.blocked_vehicle(uow.session, item_id, entities)
            if vehicle is None:
                raise NotFound(f"no blocked vehicle {item_id}")
            entity = vehicle["entity"]
        else:
            release = repo.load_release(uow.session, item_id, with_items=False)
            if release is None or release["status"] not in overview.WAITING or (
                    entities is not None and release["entity"] not in entities):
                raise NotFound(f"no release {item_id} waiting for review or signing")
            entity, vehicle = release["entity"], repo.first_vehicles_of(uow.session, [item_id]).get(item_id)
        team_id = owner(self._with_approval_fields([vehicle], rules)[0], rules) if vehicle else None
        return entity, repo.team_by_id(uow.session, team_id, None) if team_id else None

    @rpc(expected_exceptions=EXPECTED)
    def assign_work(self, kind, item_id, payload):
        """A member of the owning team claims an item (`assignee`: their own `sub`); a team lead assigns it to a
        member (by `sub`) or takes it over. The assignment as stored."""
        caller = self.caller.require(*WORKERS)
        data = load_or_raise(AssigneeIn(), payload)
        with self.db as uow:
            entity, team = self._work_item(uow, kind, item_id)
            current = repo.assignments_of(uow.session, kind, [item_id]).get(item_id)
            previous = current["assignee"] if current else None
            check_assignment(caller, data["assignee"], team, previous, authz.holds(caller, ("team_lead",)))
            team_id, row = (team["id"] if team else None), current
            if previous != data["assignee"]:  # the same assignee again changes nothing
                row = repo.assign(uow.session, kind, item_id, entity, data["assignee"], caller["sub"])
                uow.emit(WORK_ASSIGNED, {"kind": kind, "item_id": item_id, "assignee": data["assignee"],
                                         "team_id": team_id, "previous": previous}, subject=item_id, entity=entity)
                uow.commit()
        return {"kind": kind, "id": item_id, "entity": entity, "team_id": team_id, "assignee": row["assignee"],
                "assigned_by": row["assigned_by"], "assigned_at": row["assigned_at"].isoformat()}

    @rpc(expected_exceptions=EXPECTED)
    def unassign_work(self, kind, item_id):
        """The assignee gives the item back, or a team lead takes the assignee off it (nobody on it: no change)."""
        caller = self.caller.require(*WORKERS)
        with self.db as uow:
            entity, _ = self._work_item(uow, kind, item_id)
            current = repo.assignments_of(uow.session, kind, [item_id]).get(item_id)
            check_unassignment(caller, current["assignee"] if current else None, authz.holds(caller, ("team_lead",)))
            if current is not None:
                repo.end_assignments(uow.session, kind, [item_id])
                uow.emit(WORK_UNASSIGNED, {"kind": kind, "item_id": item_id, "assignee": current["assignee"]},
                         subject=item_id, entity=entity)
                uow.commit()


def _order(item):
    """An item's position in the work list: (since, kind, id)."""
    return item["since"], item["kind"], item["id"]


def _cursor(position):
    since, kind, item_id = position
    return base64.urlsafe_b64encode(f"{since.isoformat()}|{kind}|{item_id}".encode()).decode().rstrip("=")


def _position(cursor):
    """The (since, kind, id) a cursor stands for; a cursor this list did not hand out is a 422."""
    if cursor is None:
        return None
    try:
        since, kind, item_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        at = dt.datetime.fromisoformat(since)
        if at.tzinfo is not None and (kind == "release" and is_uuid(item_id)
                                      or kind == "vehicle" and 1 <= len(item_id) <= 17):
            return at, kind, item_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise InvalidInput("Bad cursor.", [{"field": "cursor", "message": "not a cursor this list handed out"}])


def _assigned(item, assignment):
    return dict(item, assignee=assignment["assignee"] if assignment else None,
                assigned_by=assignment["assigned_by"] if assignment else None,
                assigned_at=assignment["assigned_at"].isoformat() if assignment else None)


def _rule(row):
    return {k: row[k] for k in ("id", "entity", "team_id", "field", "pattern", "position", "created_by")} | {
        "created_at": row["created_at"].isoformat()}
