"""Signing in to and out of the dashboard.

With `ECOC_OIDC_ISSUER` set, a person signs in at the organisation's issuer (authorization code + PKCE): `GET
/dashboard/oidc/start` keeps the sign-in's state, PKCE verifier and nonce and sends the browser to the issuer,
which sends it back to `GET /dashboard/oidc/callback`. In local mode a pasted token also signs in (the
development sign-in); outside local mode that form does not exist."""
import datetime as dt

from authlib.common.security import generate_token

from gateway.dashboard import session
from gateway.dashboard.oidc import client_for
from gateway.dashboard.render import redirect, render
from gateway.dashboard.session_store import LOGIN_SECONDS
from gateway.http import route
from gateway.problems import HttpProblem, not_found

SIGNED_IN = "/dashboard"


class DashboardSignInRoutes:

    def _login_page(self, status=200, error=None):
        return render("login.html", status=status, identity=None, csrf=None, error=error,
                      oidc=bool(self.settings.oidc_issuer), dev=self.settings.local_mode)

    @route("GET", "/dashboard/login", produces="text/html", summary="The sign-in page of the dashboard")
    def login_form(self, call):
        return self._login_page()

    @route("GET", "/dashboard/oidc/start", produces="text/html", status=303, errors=(303, 404, 503),
           summary="Sign in at the organisation's OIDC issuer: redirects (303) there with a PKCE challenge")
    def start_oidc_sign_in(self, call):
        if not self.settings.oidc_issuer:
            raise not_found("no OIDC issuer is configured (ECOC_OIDC_ISSUER)")
        verifier, nonce = generate_token(64), generate_token(32)
        state, browser = self.sessions.begin_login(verifier, nonce)
        url = client_for(self.settings).authorization_url(state, verifier, nonce)
        return session.set_login(redirect(url), call.request, self.settings, browser, LOGIN_SECONDS)

    @route("GET", "/dashboard/oidc/callback", produces="text/html", errors=(400, 401, 403, 404, 503),
           summary="Where the issuer sends the browser back: the code is exchanged (with the PKCE verifier), the ID "
                   "token verified, and the session cookie set")
    def complete_oidc_sign_in(self, call):
        request, settings = call.request, self.settings
        if not settings.oidc_issuer:
            raise not_found("no OIDC issuer is configured (ECOC_OIDC_ISSUER)")
        pending = self.sessions.take_login(request.args.get("state"), request.cookies.get(session.LOGIN_COOKIE))
        if pending is None:
            return session.clear_login(self._login_page(400, "This sign-in was not begun in this browser or took "
                                                             "too long: sign in again."), request, settings)
        if request.args.get("error"):
            return session.clear_login(self._login_page(401, "The issuer did not sign you in: "
                                                             f"{request.args.get('error')}."), request, settings)
        code = request.args.get("code")
        if not code:
            return session.clear_login(self._login_page(400, "The issuer sent no authorization code."), request,
                                       settings)
        verifier, nonce = pending
        try:
            identity, _ = client_for(settings).identity(code, verifier, nonce)
            session.require(identity)
        except HttpProblem as exc:
            return session.clear_login(self._login_page(exc.status, exc.detail), request, settings)
        session_id, max_age = self.sessions.create(identity, "oidc")
        # a page, not a redirect: the browser arrived by a navigation from the issuer's site, on which it would not
        # send the SameSite=Strict cookie; the next navigation starts from our page and carries it
        page = render("signed_in.html", identity=identity, csrf=None, target=SIGNED_IN)
        return session.clear_login(session.set_session(page, request, settings, session_id, max_age), request,
                                   settings)

    @route("POST", "/dashboard/login", consumes=("application/x-www-form-urlencoded",), produces="text/html",
           status=303, errors=(303, 401, 403, 404),
           summary="Development sign-in of local mode: a token (form field `token`) signs in; 404 outside local mode")
    def login(self, call):
        request = call.request
        if not self.settings.local_mode:
            raise not_found("the development sign-in exists in local mode only; sign in through the OIDC issuer")
        session.refuse_cross_site(request)
        token = (request.form.get("token") or "").strip()
        if not token:
            return self._login_page(422, "Paste a token into the field “token”.")
        try:
            identity = session.identity_from_token(token, self.settings)
        except HttpProblem as exc:
            return self._login_page(exc.status, exc.detail)
        expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=session.seconds_left(token))
        session_id, max_age = self.sessions.create(identity, "token", not_after=expires)
        return session.set_session(redirect(SIGNED_IN), request, self.settings, session_id, max_age)

    @route("POST", "/dashboard/logout", produces="text/html", status=303, errors=(303, 403),
           summary="Sign out: the session ends on the server, its cookie is cleared and the browser sent to sign in")
    def logout(self, call):
        request = call.request
        session.refuse_cross_site(request)
        found = self.sessions.touch(request.cookies.get(session.COOKIE))
        if found is not None:
            session.check_form(request, found)
            self.sessions.end(request.cookies.get(session.COOKIE))
        return session.clear_session(redirect(session.LOGIN_PATH), request, self.settings)
