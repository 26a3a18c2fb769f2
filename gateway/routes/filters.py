"""The filters the work lists share (the vehicle, release and exception lists of the API and the dashboard's pages):
intended country, owning team and age. An unknown team is a 422 naming `team`, as is a value of the wrong shape."""
from marshmallow import Schema, fields, validate

from common.contracts.vehicles import COUNTRY

MAX_AGE_DAYS = 3650


class AgeFilter(Schema):
    older_than_days = fields.Integer(validate=validate.Range(1, MAX_AGE_DAYS), metadata={
        "description": "waiting at least this many days: a vehicle unchanged in its state, a release or an "
                       "exception since it was asked for"})


class WorkFilters(AgeFilter):
    intended_country = fields.String(validate=COUNTRY, metadata={
        "description": "intended country of registration (Vienna code); a release: one of its vehicles'"})
    team = fields.String(validate=validate.Length(1, 36), metadata={
        "description": "owned by this team (its id, `GET /v1/teams`; `none`: by no team). Ownership is decided by "
                       "rules, so a page may hold fewer items than `limit`: follow `next_cursor`"})
