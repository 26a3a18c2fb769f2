"""Who is looking at a dashboard page, and the rules of the session cookie.

Pages accept the bearer token the API accepts (`Authorization: Bearer …`, for tools and proxies that add it);
such a caller has no session and so no forms to post. A person in a browser signs in through the organisation's
OIDC issuer (`gateway.dashboard.oidc`), or, in local mode only, by pasting a token (the development sign-in).
Either way the gateway keeps the session (`gateway.dashboard.session_store`) and the browser a random id in a
cookie that is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), limited to
`/dashboard` (the JSON API never accepts it) and Secure outside local mode (and whenever the request came over
HTTPS, directly or through a proxy saying so in X-Forwarded-Proto). Every form of a session carries its CSRF
token, and a post is taken only from our own pages (Fetch Metadata / Origin) with that token."""
import time

import jwt

from gateway import auth
from gateway.auth import authenticate, require
from gateway.problems import forbidden

COOKIE = "ecoc_session"
COOKIE_PATH = "/dashboard"
LOGIN_PATH = "/dashboard/login"
LOGIN_COOKIE = "ecoc_oidc"  # binds a sign-in under way to the browser that began it
LOGIN_COOKIE_PATH = "/dashboard/oidc"
CSRF_FIELD = "csrf"


def identity_from_token(token, settings):
    """The caller a raw token names, holding at least one role (as the bearer path checks)."""
    return require(auth.identity_from_token(token, settings))


def page_caller(request, settings, store):
    """(identity, session) of a page's caller: the bearer header first (no session), else the session cookie;
    (None, None) when neither is there or the session has ended (the page then sends the browser to sign in)."""
    if request.headers.get("Authorization"):
        return require(authenticate(request, settings)), None
    found = store.touch(request.cookies.get(COOKIE))
    if found is None:
        return None, None
    return require(found.identity), found


def is_https(request):
    return request.scheme == "https" or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def secure(request, settings):
    return is_https(request) or not settings.local_mode


def same_origin(request):
    """A form post from another site is refused (login CSRF). A browser that sends Fetch Metadata says itself
    where the request came from (`Sec-Fetch-Site`, which no page can set or change): only `same-origin`, or
    `none` (typed or bookmarked by the person), passes. Otherwise Origin, when the browser sends it, must be
    ours; a client that sends neither (not a browser) passes."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1].rstrip("/") == request.host


def set_session(response, request, settings, session_id, max_age):
    response.set_cookie(COOKIE, session_id, max_age=max_age, path=COOKIE_PATH, secure=secure(request, settings),
                        httponly=True, samesite="Strict")
    return response


def clear_session(response, request, settings):
    response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=secure(request, settings), httponly=True,
                           samesite="Strict")
    return response


def set_login(response, request, settings, browser, max_age):
    # Lax, not Strict: the issuer sends the browser back with a cross-site navigation, which must carry it
    response.set_cookie(LOGIN_COOKIE, browser, max_age=max_age, path=LOGIN_COOKIE_PATH,
                        secure=secure(request, settings), httponly=True, samesite="Lax")
    return response


def clear_login(response, request, settings):
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_COOKIE_PATH, secure=secure(request, settings), httponly=True,
                           samesite="Lax")
    return response


def refuse_cross_site(request):
    if not same_origin(request):
        raise forbidden("the form was posted from another site")


def check_form(request, found):
    """A page's form post: from our own pages, by a signed-in session, carrying that session's CSRF token."""
    refuse_cross_site(request)
    if found is None:
        raise forbidden("forms are posted from a signed-in dashboard session")
    if not found.csrf_matches(request.form.get(CSRF_FIELD)):
        raise forbidden("the form's CSRF token is missing or not this session's (reload the page)")


def seconds_left(token):
    """Seconds until a (verified) token's `exp`."""
    exp = jwt.decode(token, options={"verify_signature": False}).get("exp", 0)
    return max(0, int(exp - time.time()))
