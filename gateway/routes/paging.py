"""Cursor paging shared by the list routes: `?limit=` (default 100, at most 1000) and `?cursor=`; every list
answer carries `next_cursor` (null on the last page)."""
import base64
import binascii

from marshmallow import Schema, fields, validate

from gateway.problems import invalid

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


class Page(Schema):
    """The query of every list route; a route with filters subclasses it."""

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT),
                           metadata={"description": f"page size, default {DEFAULT_LIMIT}"})
    cursor = fields.String(validate=validate.Length(1, 200),
                           metadata={"description": "`next_cursor` of the previous page"})


def page_of(items, query):
    """One page of a list the service returns whole (short lists: one vehicle's history, its certificates):
    `(page, next_cursor)`. The cursor is opaque to clients."""
    start = _offset(query.get("cursor"))
    end = start + query["limit"]
    return items[start:end], (_cursor(end) if end < len(items) else None)


def _cursor(offset):
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(cursor):
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = text.split(":", 1)
        if kind == "o" and value.isdigit():
            return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise invalid("Bad cursor.", [{"field": "cursor", "message": "not a cursor this list handed out"}])

