"""Who may do what, re-checked by every service from the caller identity that travels with the RPC.

The gateway verifies the user's token and hands the services a *passport*: the identity
`{sub, roles, entities, groups}` as a short-lived HS256 token signed with the internal secret
(`ECOC_INTERNAL_SECRET`; while a new secret is rolled out, `ECOC_INTERNAL_SECRET_PREVIOUS` ones verify too), in
the nameko context data under `ecoc_identity`. nameko copies context data
into every RPC a worker makes, so the passport travels on through nested calls. A service trusts only a
passport whose signature checks: an identity written into the context by hand, or none at all, is
refused. Workers that serve no caller (event handlers, timers) call other services as
`service:<name>` with the role `service`, which only the reads that services need from each other accept.
"""
import time

import jwt

from common.errors import Forbidden, NotFound

ROLES = ("approvals_manager", "data_steward", "reviewer", "signer", "auditor", "viewer", "team_lead", "admin")
SERVICE_ROLE = "service"
PASSPORT_ISSUER = "ecoc-gateway"
PASSPORT_AUDIENCE = "ecoc-services"
PASSPORT_ALGORITHM = "HS256"


class BadPassport(Exception):
    pass


def passport(identity, settings):
    now = int(time.time())
    claims = {"sub": identity["sub"], "roles": list(identity["roles"]), "entities": list(identity["entities"]),
              "groups": list(identity.get("groups") or []),
              "iss": PASSPORT_ISSUER, "aud": PASSPORT_AUDIENCE, "iat": now, "exp": now + settings.passport_ttl}
    return jwt.encode(claims, settings.internal_secret, algorithm=PASSPORT_ALGORITHM)


def service_passport(service_name, settings):
    return passport({"sub": f"service:{service_name}", "roles": [SERVICE_ROLE], "entities": ["*"]}, settings)


def read_passport(token, settings):
    """The identity a passport carries; BadPassport when it is not one the gateway signed, or expired."""
    if not isinstance(token, str):
        raise BadPassport("the caller identity is not a signed passport")
    for secret in settings.internal_secrets:
        try:
            claims = jwt.decode(token, secret, algorithms=[PASSPORT_ALGORITHM], audience=PASSPORT_AUDIENCE,
                                issuer=PASSPORT_ISSUER, options={"require": ["exp", "sub", "iss", "aud"]})
            break
        except jwt.InvalidSignatureError:
            continue  # signed with another (earlier or newer) internal secret: try the next one
        except jwt.PyJWTError as exc:
            raise BadPassport(f"the caller identity does not verify: {exc}") from None
    else:
        raise BadPassport("the caller identity does not verify: Signature verification failed")
    return {"sub": claims["sub"], "roles": list(claims.get("roles") or []),
            "entities": list(claims.get("entities") or []), "groups": list(claims.get("groups") or [])}


def holds(identity, roles, service=False):
    """True when `identity` holds one of `roles` (admin holds every user role; no roles: any role at all).

    The `service` role counts only where `service` is true (reads services make of each other)."""
    held = set(identity.get("roles") or []) if identity else set()
    if SERVICE_ROLE in held:
        return service
    return bool("admin" in held or held & set(roles) or (not roles and held))


def require(identity, *roles, service=False):
    """The identity, when it may act with one of `roles`; Forbidden otherwise (and when there is none)."""
    if not identity:
        raise Forbidden("this call needs the verified identity of its caller (a passport from the gateway)")
    if not holds(identity, roles, service):
        held = ", ".join(identity.get("roles") or []) or "none"
        raise Forbidden(f"{identity.get('sub')} may not do this: it needs the role {' or '.join(roles) or 'any'}; "
                        f"held: {held}")
    return identity


def may_see(identity, entity):
    entities = identity.get("entities") or []
    return "*" in entities or entity in entities


def entities_of(identity):
    """The entities the caller may act for, or None for all."""
    entities = identity.get("entities") or []
    return None if "*" in entities else list(entities)


def scope(identity, entity, what):
    """Objects of other entities do not exist for the caller: NotFound, never Forbidden."""
    if not may_see(identity, entity):
        raise NotFound(f"no {what}")


def check_signatory(entity_record, sub):
    """The entity's own record of `sub` as authorised signatory; Forbidden when it names no such signatory."""
    for signatory in entity_record.get("signatories") or []:
        if signatory.get("sub") == sub:
            return signatory
    raise Forbidden(f"{sub} is not an authorised signatory of {entity_record.get('code')}")
