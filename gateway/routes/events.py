"""The change feed: the domain events of the caller's entities, in the order the audit log committed them."""
from marshmallow import Schema, fields, validate

from common.contracts.responses import EventPage
from gateway.http import route
from gateway.routes.paging import DEFAULT_LIMIT, MAX_LIMIT
from common.feed import FEED_TYPES


class FeedQuery(Schema):
    after = fields.String(validate=validate.Length(1, 64), metadata={
        "description": "`next_cursor` of the previous answer, or the id of the last event you processed "
                       "(a webhook delivery's event id works too); omit it to start from the first event"})
    types = fields.String(validate=validate.Length(1, 2000), metadata={
        "description": "comma-separated event types to return (default: all): " + ", ".join(FEED_TYPES)})
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT),
                           metadata={"description": f"at most this many events, default {DEFAULT_LIMIT}"})


class EventRoutes:

    @route("GET", "/v1/events", roles=(), query=FeedQuery, response=EventPage,
           operation_id="listEvents",
           summary="The change feed: events of the caller's entities after a cursor, in commit order",
           description="Each event has id, type, occurred_at, entity, subject(s), actor and a small `data` "
           "(state changes, findings counts, certificate reference id and version). Pass `next_cursor` back as "
           "`after` to read on: it is the id of the last event returned (or your `after` again when nothing is "
           "new), valid across restarts, so a consumer that stores it after processing a page misses nothing and "
           "sees nothing twice. `has_more` says whether another page is ready now (a page ends early once its events "
           "name 5,000 subjects). An event id of another "
           "entity is refused exactly like an unknown one (422 naming `after`).")
    def events(self, call):
        q = call.query
        return self._rpc("audit", "events", q.get("after"), q.get("types"), q["limit"])
