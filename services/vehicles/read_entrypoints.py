"""The vehicles service's bulk reads: the states of many VINs at once, and the release list.

A mixin of `services.vehicles.service.VehiclesService`. Both are scoped before anything is counted or paged:
a VIN or release of another entity is answered exactly like one that does not exist."""
import base64
import binascii
from datetime import datetime, timedelta

from common.rpc import rpc

from common.contracts.vehicles import MAX_IMPORT
from common.errors import EXPECTED, InvalidInput
from common.ids import is_uuid
from common.outbox import utcnow
from services.vehicles import repository as repo
from services.vehicles.domain.owned_pages import owned_page


class ReadEntrypoints:

    @rpc(expected_exceptions=EXPECTED)
    def statuses(self, vins):
        """`{items: [{vin, status, revision, certificate: {reference_id, version_number} | null}], unknown: [vin]}`
        in the order asked; `unknown` holds the VINs that do not exist for the caller."""
        if not isinstance(vins, list) or not 1 <= len(vins) <= MAX_IMPORT or not all(isinstance(v, str) for v in vins):
            raise InvalidInput("The VINs are not a list of 1 to 10,000 texts.",
                               [{"field": "vins", "message": f"1 to {MAX_IMPORT:,} VINs"}])
        with self.db as uow:
            found = repo.vehicle_states(uow.session, set(vins), self._entities())
        items, unknown = [], []
        for vin in dict.fromkeys(vins):  # each VIN once, in the order asked
            state = found.get(vin)
            if state is None:
                unknown.append(vin)
                continue
            certificate = state["certificate"]
            items.append({"vin": vin, "status": state["status"], "revision": state["revision"],
                          "certificate": None if not certificate else {
                              "reference_id": certificate.get("reference_id"),
                              "version_number": certificate.get("version_number")}})
        return {"items": items, "unknown": unknown}

    @rpc(expected_exceptions=EXPECTED)
    def list_releases(self, status=None, entity=None, requested_by=None, since=None, limit=100, cursor=None,
                      intended_country=None, approval_number=None, older_than_days=None, team=None):
        """One page of the caller's releases in request order, each with its counts per item state (not its
        vehicles: `get_release` has them). `older_than_days`: requested at least that many days ago; `team`: owned
        by that team (as its first vehicle is), a page then may be short (`domain.owned_pages`)."""
        since_at = zoned_time(since, "since") if since else None
        before = utcnow() - timedelta(days=older_than_days) if older_than_days is not None else None
        entities = self._entities()
        with self.db as uow:
            def read(after, n):
                rows = repo.list_releases(uow.session, status, entity, requested_by, since_at, entities, n, after,
                                          intended_country, approval_number, before)
                return rows[:n], len(rows) > n

            if team is None:
                page, more = read(_position(cursor), limit)
                next_cursor = _cursor(page[-1]) if more else None
            else:
                owns, with_approval_fields = self._team_owns(uow, entities, team)

                def read_owned(after, n):
                    rows, more = read(after, n)
                    firsts = repo.first_vehicles_of(uow.session, [r["id"] for r in rows])
                    firsts = dict(zip(firsts, with_approval_fields(list(firsts.values()))))
                    return [dict(r, first=firsts.get(r["id"])) for r in rows], more

                page, after = owned_page(read_owned, lambda r: owns(r["first"] or {}),
                                         lambda r: (r["requested_at"], r["id"]), limit, _position(cursor))
                page = [{k: v for k, v in r.items() if k != "first"} for r in page]
                next_cursor = _cursor({"requested_at": after[0], "id": after[1]}) if after else None
            counts = repo.release_counts(uow.session, [r["id"] for r in page]) if page else {}
        items = []
        for row in page:
            item = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
            item["counts"] = counts.get(row["id"], {})
            items.append(item)
        return {"items": items, "next_cursor": next_cursor}


def zoned_time(text, field):
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        value = None
    if value is None or value.tzinfo is None:
        raise InvalidInput("Not a date-time with a zone.",
                           [{"field": field, "message": "an ISO-8601 date-time with zone, e.g. 2026-03-01T00:00:00Z"}])
    return value


def _cursor(row):
    text = f"{row['requested_at'].isoformat()}|{row['id']}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _position(cursor):
    """The (requested_at, id) a cursor stands for; a cursor this list did not hand out is a 422."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, release_id = text.split("|", 1)
        if is_uuid(release_id):
            return datetime.fromisoformat(at), release_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise InvalidInput("Bad cursor.", [{"field": "cursor", "message": "not a cursor this list handed out"}])
