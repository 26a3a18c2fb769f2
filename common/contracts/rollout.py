"""RPC and HTTP payloads of the rollout service: scopes, cut-over decisions, roll-backs."""
from marshmallow import RAISE, Schema, fields, validate

from common.contracts.vehicles import COUNTRY, REASON
from common.rollout_scopes import MODES

VIN_PREFIX = validate.Regexp(r"^[A-HJ-NPR-Z0-9]{3,17}$",
                             error="must be a WMI or longer VIN prefix: 3-17 characters A-Z or 0-9, never I, O or Q")
CATEGORY = validate.Regexp(r"^[A-Z][A-Z0-9]{0,4}$", error="must be a vehicle category such as M1, N2, L3e")
NOT_EMPTY = validate.Length(min=1, max=200)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class TypeSelector(Strict):
    type = fields.String(required=True, validate=validate.Length(1, 15))
    variant = fields.String(validate=validate.Length(1, 25))


class Selector(Strict):
    """What a scope selects; every named dimension must match, an absent one matches anything."""

    approval_numbers = fields.List(fields.String(validate=validate.Length(1, 35)), validate=NOT_EMPTY)
    types = fields.List(fields.Nested(TypeSelector), validate=NOT_EMPTY)
    vin_prefixes = fields.List(fields.String(validate=VIN_PREFIX), validate=NOT_EMPTY)
    categories = fields.List(fields.String(validate=CATEGORY), validate=NOT_EMPTY)
    countries = fields.List(fields.String(validate=COUNTRY), validate=NOT_EMPTY)


SCOPE_NAME = validate.Length(1, 100)
SAVED_MODES = validate.OneOf([m for m in MODES if m != "live"],
                             error="a scope is saved off or shadow; it goes live only by a cut-over decision")


class ScopeIn(Strict):
    """POST /v1/rollout/scopes."""

    entity = fields.String(required=True, validate=validate.Length(1, 32))
    name = fields.String(required=True, validate=SCOPE_NAME)
    selector = fields.Nested(Selector, required=True)
    mode = fields.String(load_default="shadow", validate=SAVED_MODES)


class ScopePatch(Strict):
    """PATCH /v1/rollout/scopes/{id}: a live scope changes only its name (its selector would move vehicles into
    or out of live production without a decision)."""

    name = fields.String(validate=SCOPE_NAME)
    selector = fields.Nested(Selector)
    mode = fields.String(validate=SAVED_MODES)


class CutoverIn(Strict):
    note = fields.String(load_default=None, validate=REASON)


class RollbackIn(Strict):
    reason = fields.String(required=True, validate=REASON)


class ExplanationIn(Strict):
    """A mismatch in a field, explained (the gate counts unexplained mandatory mismatches only)."""

    path = fields.String(required=True, validate=validate.Length(1, 300))
    reason = fields.String(required=True, validate=REASON)
