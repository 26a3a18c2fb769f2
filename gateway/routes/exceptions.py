"""The exceptions register: accepted warnings, four-eyes, with an expiry (the validation service keeps it)."""
from marshmallow import fields, validate

from common.contracts.responses import ExceptionOut, ExceptionPage
from common.contracts.validation import DecisionIn, ExceptionIn
from gateway.http import route
from gateway.routes.filters import AgeFilter
from gateway.routes.paging import Page

STATES = ("open", "accepted", "refused", "expired")


class ExceptionQuery(Page, AgeFilter):
    entity = fields.String(validate=validate.Length(1, 32))
    vin = fields.String(validate=validate.Length(17, 17))
    state = fields.String(validate=validate.OneOf(STATES), metadata={"description": "open, accepted, refused, expired"})
    approval_number = fields.String(validate=validate.Length(1, 35), metadata={
        "description": "exceptions for this approval number (not those for one VIN)"})


class ExceptionRoutes:

    @route("GET", "/v1/exceptions", roles=(), query=ExceptionQuery, response=ExceptionPage,
           summary="The exceptions register of the caller's entities, newest request first",
           description="`state` filters within each page (a page may hold fewer than `limit`).")
    def list_exceptions(self, call):
        q = call.query
        return self._rpc("validation", "exceptions", q.get("entity"), q.get("vin"), q.get("state"), q["limit"],
                         q.get("cursor"), q.get("approval_number"), q.get("older_than_days"))

    @route("POST", "/v1/exceptions", roles=("data_steward", "reviewer"), body=ExceptionIn, response=ExceptionOut,
           status=201, location="/v1/exceptions?entity={entity}", summary="Ask for a warning to be accepted (for one VIN, or an approval revision), until a day",
           description="Only a warning may be accepted: a rule of severity error is refused (422).")
    def request_exception(self, call):
        return self._rpc("validation", "request_exception", call.body)

    @route("POST", "/v1/exceptions/{id}/accept", roles=("reviewer",), body=DecisionIn, response=ExceptionOut,
           summary="Accept an open exception (four-eyes: not the person who asked)")
    def accept_exception(self, call, id):
        return self._rpc("validation", "decide_exception", id, True, call.body)

    @route("POST", "/v1/exceptions/{id}/refuse", roles=("reviewer",), body=DecisionIn, response=ExceptionOut,
           summary="Refuse an open exception (four-eyes: not the person who asked)")
    def refuse_exception(self, call, id):
        return self._rpc("validation", "decide_exception", id, False, call.body)
