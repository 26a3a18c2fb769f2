"""JWT authentication and the role table of the v1 contract.

Tokens are HS256 with the local secret, or, when `ECOC_JWT_JWKS_URL` is set, RS/ES tokens of an OIDC
issuer verified with its published keys. Roles and entities are read where the issuer puts them
(`ECOC_JWT_ROLES_CLAIM`, `ECOC_JWT_ENTITIES_CLAIM`, `ECOC_JWT_ROLE_PREFIX`), and the groups that make the caller a
member of a team where `ECOC_JWT_GROUPS_CLAIM` says (optional). The accepted algorithms are pinned by configuration
(`Settings.jwt_algorithms`): the token's header never chooses them. The role and entity checks are the
ones every service repeats (`common.authz`); here they answer as HTTP problems."""
import time

import jwt

from common import authz
from gateway.jwks import JwksKeys, KeyUnavailable
from gateway.problems import forbidden, not_found, unauthorized

ROLES = authz.ROLES
REQUIRED_CLAIMS = ["exp", "sub", "iss", "aud"]
MAX_SUB = 200  # the services keep the caller's `sub` (editor, requester, signer, actor) in 200 characters
MAX_GROUP, MAX_GROUPS = 200, 200  # a group claim's names, as teams keep them

_issuer_keys = {}  # JWKS URL → JwksKeys: one cache per process, shared by every request


def issuer_keys(settings):
    url = settings.jwt_jwks_url
    if url not in _issuer_keys:
        _issuer_keys[url] = JwksKeys(url, max_age=settings.jwks_max_age)
    return _issuer_keys[url]


def authenticate(request, settings, keys=None):
    """The verified caller `{sub, roles, entities}` of a request's bearer token; 401 otherwise."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise unauthorized("a bearer token is required")
    return identity_from_token(header[len("Bearer "):].strip(), settings, keys)


def identity_from_token(token, settings, keys=None):
    """The caller `{sub, roles, entities}` a token names, read where the issuer puts roles and entities (the
    API's bearer tokens and the dashboard's session alike); 401 when it does not verify or lacks them."""
    return identity_from_claims(verify_token(token, settings, keys), settings)


def identity_from_claims(claims, settings):
    """The caller `{sub, roles, entities, groups}` verified claims name (an API token's, or the ID token of the
    dashboard's OIDC sign-in): roles and entities where `ECOC_JWT_ROLES_CLAIM`/`ECOC_JWT_ENTITIES_CLAIM` say (401
    otherwise), groups where `ECOC_JWT_GROUPS_CLAIM` says (none when the claim is absent)."""
    roles = _strings(_claim(claims, settings.jwt_roles_claim))
    entities = _strings(_claim(claims, settings.jwt_entities_claim))
    if roles is None or entities is None:
        raise unauthorized(f"the token must carry `{settings.jwt_roles_claim}` and `{settings.jwt_entities_claim}` "
                           "as lists of printable strings (or space-separated strings)")
    sub = claims["sub"]
    if not isinstance(sub, str) or not 1 <= len(sub) <= MAX_SUB or not sub.isprintable():
        raise unauthorized(f"the token's `sub` must be 1 to {MAX_SUB} printable characters")
    groups = _claim(claims, settings.jwt_groups_claim)
    groups = [] if groups is None else _strings(groups)
    if groups is None or any(not 1 <= len(g) <= MAX_GROUP for g in groups) or len(groups) > MAX_GROUPS:
        raise unauthorized(f"the token's `{settings.jwt_groups_claim}` must be a list of at most {MAX_GROUPS} "
                           f"printable strings of 1 to {MAX_GROUP} characters (or a space-separated string)")
    prefix = settings.jwt_role_prefix
    roles = [r[len(prefix):] for r in roles if r.startswith(prefix) and r[len(prefix):] in ROLES]
    return {"sub": sub, "roles": roles, "entities": entities, "groups": sorted(set(groups))}


def _claim(claims, path):
    """The value at a dotted claim path (`realm_access.roles`), or None."""
    value = claims
    for step in path.split("."):
        value = value.get(step) if isinstance(value, dict) else None
    return value


def verify_token(token, settings, keys=None):
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise unauthorized(f"invalid token: {exc}") from None
    algorithm = header.get("alg")
    if algorithm not in settings.jwt_algorithms:
        raise unauthorized(f"invalid token: algorithm {algorithm!r} is not accepted here "
                           f"(accepted: {', '.join(settings.jwt_algorithms)})")
    try:
        key = settings.jwt_secret if algorithm.startswith("HS") else \
            (keys or issuer_keys(settings)).key_for(header.get("kid"), algorithm)
        return jwt.decode(token, key, algorithms=[algorithm], audience=settings.jwt_audience,
                          issuer=settings.jwt_issuer, leeway=settings.jwt_leeway,
                          options={"require": REQUIRED_CLAIMS})
    except (jwt.PyJWTError, KeyUnavailable) as exc:
        raise unauthorized(f"invalid token: {exc}") from None


def _strings(value):
    """A list of printable strings as it is, a space-separated string split (as issuers write `scope`); else None."""
    if isinstance(value, str):
        value = value.split()
    return value if isinstance(value, list) and all(isinstance(v, str) and v.isprintable() for v in value) else None


def require(identity, *roles):
    """The caller must hold one of `roles` (admin holds them all); reading needs any role."""
    if not authz.holds(identity, roles):
        held = ", ".join(identity["roles"]) or "none"
        raise forbidden(f"this needs the role {' or '.join(roles) or 'any'}; you have {held}")
    return identity


may_see = authz.may_see


def scoped(identity, entity, what):
    """Objects of other entities do not exist for the caller."""
    if not may_see(identity, entity):
        raise not_found(f"no {what}")


def issue_token(settings, sub, roles, entities, ttl_seconds=3600, groups=()):
    """A local HS256 token (`ecoc token`, the demo, tests)."""
    now = int(time.time())
    claims = {"sub": sub, "roles": roles, "entities": entities, "iss": settings.jwt_issuer,
              "aud": settings.jwt_audience, "iat": now, "nbf": now, "exp": now + ttl_seconds}
    if groups:
        claims[settings.jwt_groups_claim] = list(groups)
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
