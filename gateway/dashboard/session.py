"""Who is looking at a dashboard page.

Pages accept the bearer token the API accepts (`Authorization: Bearer …`, for tools and proxies that add
it). A person in a browser signs in once: `POST /dashboard/login` takes the token from a form body and
keeps it in a cookie that is HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
it), limited to `/dashboard` (the JSON API never accepts it, so it cannot be used to change anything) and
Secure whenever the request came over HTTPS (directly or through a proxy saying so in X-Forwarded-Proto).
It lives no longer than the token. The token never appears in a URL, so access logs never hold it."""
import time

import jwt

from gateway import auth
from gateway.auth import authenticate, require
from gateway.problems import HttpProblem, forbidden

COOKIE = "ecoc_session"
COOKIE_PATH = "/dashboard"
LOGIN_PATH = "/dashboard/login"


def identity_from_token(token, settings):
    """The caller a raw token names, holding at least one role (as the bearer path checks)."""
    return require(auth.identity_from_token(token, settings))


def page_identity(request, settings):
    """The caller of a page: bearer header first, else the session cookie; None when neither is there or
    the cookie's token no longer verifies (the page then sends the browser to the login form)."""
    if request.headers.get("Authorization"):
        return require(authenticate(request, settings))
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return identity_from_token(token, settings)
    except HttpProblem as exc:
        if exc.status == 403:
            raise
        return None


def is_https(request):
    return request.scheme == "https" or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


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


def seconds_left(token):
    exp = jwt.decode(token, options={"verify_signature": False}).get("exp", 0)
    return max(0, int(exp - time.time()))


def set_session(response, request, token):
    response.set_cookie(COOKIE, token, max_age=seconds_left(token), path=COOKIE_PATH, secure=is_https(request),
                        httponly=True, samesite="Strict")
    return response


def clear_session(response, request):
    response.delete_cookie(COOKIE, path=COOKIE_PATH, secure=is_https(request), httponly=True, samesite="Strict")
    return response


def refuse_cross_site(request):
    if not same_origin(request):
        raise forbidden("the form was posted from another site")
