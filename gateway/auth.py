"""JWT authentication and the role table of the v1 contract."""
import jwt

from gateway.problems import forbidden, not_found, unauthorized

ROLES = ("approvals_manager", "data_steward", "reviewer", "signer", "auditor", "viewer", "admin")


def authenticate(request, settings):
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise unauthorized("a bearer token is required")
    try:
        claims = jwt.decode(
            header[len("Bearer "):], settings.jwt_secret, algorithms=["HS256"], audience=settings.jwt_audience,
            issuer=settings.jwt_issuer, options={"require": ["exp", "sub", "iss", "aud"]}, leeway=30,
        )
    except jwt.PyJWTError as exc:
        raise unauthorized(f"invalid token: {exc}") from None
    roles, entities = claims.get("roles"), claims.get("entities")
    if not isinstance(roles, list) or not isinstance(entities, list):
        raise unauthorized("the token must carry `roles` and `entities` lists")
    return {"sub": claims["sub"], "roles": [r for r in roles if r in ROLES], "entities": entities}


def require(identity, *roles):
    """The caller must hold one of `roles` (admin holds them all); reading needs any role."""
    held = set(identity["roles"])
    if "admin" in held or held & set(roles) or (not roles and held):
        return identity
    raise forbidden(f"this needs the role {' or '.join(roles) or 'any'}; you have {', '.join(held) or 'none'}")


def may_see(identity, entity):
    return "*" in identity["entities"] or entity in identity["entities"]


def scoped(identity, entity, what):
    """Objects of other entities do not exist for the caller."""
    if not may_see(identity, entity):
        raise not_found(f"no {what}")


def issue_token(settings, sub, roles, entities, ttl_seconds=3600):
    import time

    now = int(time.time())
    return jwt.encode({"sub": sub, "roles": roles, "entities": entities, "iss": settings.jwt_issuer,
                       "aud": settings.jwt_audience, "iat": now, "nbf": now, "exp": now + ttl_seconds},
                      settings.jwt_secret, algorithm="HS256")
