"""Who owns a piece of work (plain Python): teams of an entity own vehicles and releases through ownership rules,
tried in order; the first rule that matches a vehicle names its team. A release is owned like its first vehicle
(by VIN). Age is counted from when the vehicle was blocked or the release started waiting.

A person is a member of a team when the team names their `sub`, or one of the groups their token carries. A member
claims work of their team; a team lead assigns it to a member (by `sub`: another person's groups are not known)."""
import fnmatch
import re

from common.errors import Conflict, Forbidden, InvalidInput

# what a rule may match on, and how a vehicle's value for it is read
FIELDS = {
    "approval_number": lambda v: v.get("approval_number"),
    "type": lambda v: v.get("type"),
    "variant": lambda v: v.get("variant"),
    "wmi": lambda v: (v.get("vin") or "")[:3],
    "vin_pattern": lambda v: v.get("vin"),
    "intended_country": lambda v: v.get("intended_country"),
    "category": lambda v: v.get("category"),  # VehicleCategory of the vehicle's approval (e.g. M1, N1, L3e)
}
NEEDS_APPROVAL = {"category"}  # what is read from the approvals service, not from the vehicle record


def without_approval_fields(vehicle):
    """A vehicle row without what was added to it from its approval for the rules (the record has none of it)."""
    return {k: v for k, v in vehicle.items() if k not in NEEDS_APPROVAL}
_PATTERN = re.compile(r"[A-Za-z0-9*?/.\- ]{1,64}")


def check_rule(data):
    if data["field"] not in FIELDS:
        raise InvalidInput("Unknown rule field.", [{"field": "field", "message": f"one of {', '.join(FIELDS)}"}])
    if not _PATTERN.fullmatch(data["pattern"]):
        raise InvalidInput("Bad pattern.", [{"field": "pattern", "message": (
            "1-64 letters, digits, * ? / . - or spaces (vin_pattern: * and ? as wildcards)")}])


def matches(rule, vehicle):
    value = FIELDS[rule["field"]](vehicle)
    if value is None:
        return False
    if rule["field"] == "vin_pattern":
        return fnmatch.fnmatchcase(value, rule["pattern"])
    return value == rule["pattern"]


def owner(vehicle, rules):
    """The id of the team that owns `vehicle` (the first matching rule of its entity, by position), or None."""
    for rule in sorted(rules, key=lambda r: (r["position"], r["created_at"])):
        if rule["entity"] == vehicle.get("entity") and matches(rule, vehicle):
            return rule["team_id"]
    return None


def age_hours(since, now):
    return max(0, int((now - since).total_seconds() // 3600))


def is_member(team, identity):
    """True when `identity` ({sub, groups}) is a member of `team` (by `sub`, or by one of its groups)."""
    return identity.get("sub") in team["members"] or bool(set(identity.get("groups") or ()) & set(team["groups"]))


def teams_of_member(teams, identity):
    return {t["id"] for t in teams if is_member(t, identity)}


def check_assignment(caller, assignee, team, current, lead):
    """May `caller` ({sub, groups}; `lead`: a team lead or admin) make `assignee` work on an item owned by `team`
    (None: no rule owns it) and now assigned to `current` (None: nobody)? Raises why not.

    Anyone of the owning team claims an item nobody else holds; a team lead assigns it to a member of the
    owning team (by `sub`), or takes it over."""
    if assignee == caller["sub"]:
        if not lead and team is not None and not is_member(team, caller):
            raise Forbidden(f"{caller['sub']} is not a member of the owning team {team['name']}")
        if not lead and current not in (None, caller["sub"]):
            raise Conflict(f"{current} works on it; they or a team lead can hand it on")
        return
    if not lead:
        raise Forbidden("only a team lead assigns work to someone else; claim it with your own `sub`")
    if team is None:
        raise InvalidInput("The item has no owning team.", [{"field": "assignee", "message": (
            "no ownership rule gives this item a team whose members it could go to; add one")}])
    if assignee not in team["members"]:
        raise InvalidInput("Not a member of the owning team.", [{"field": "assignee", "message": (
            f"{assignee} is not a member (by `sub`) of the owning team {team['name']}")}])


def check_unassignment(caller, current, lead):
    """The assignee gives an item back; a team lead takes anyone's off it."""
    if current is not None and current != caller["sub"] and not lead:
        raise Forbidden(f"{current} works on it; only they or a team lead can take them off it")
