"""Who owns a piece of work (plain Python): teams of an entity own vehicles and releases through ownership rules,
tried in order; the first rule that matches a vehicle names its team. A release is owned like its first vehicle
(by VIN). Age is counted from when the vehicle was blocked or the release started waiting."""
import fnmatch
import re

from common.errors import InvalidInput

# what a rule may match on, and how a vehicle's value for it is read
FIELDS = {
    "approval_number": lambda v: v.get("approval_number"),
    "type": lambda v: v.get("type"),
    "variant": lambda v: v.get("variant"),
    "wmi": lambda v: (v.get("vin") or "")[:3],
    "vin_pattern": lambda v: v.get("vin"),
    "intended_country": lambda v: v.get("intended_country"),
}
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
