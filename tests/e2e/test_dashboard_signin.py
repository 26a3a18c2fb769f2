"""Signing in to the dashboard through the test OIDC issuer over HTTP, as a browser would (authorization code with
PKCE): the session cookie's rules, the session ending on sign-out, and sign-ins that must fail (a state this
browser did not begin, a code used twice, a person without a role)."""
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from cli import demo_data

pytestmark = pytest.mark.e2e

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def _leave_for_issuer(browser, stack):
    start = browser.get(stack.url("/dashboard/oidc/start"), allow_redirects=False, timeout=30)
    assert start.status_code == 303, start.text
    at_issuer = urlparse(start.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(at_issuer.query).items()}
    assert at_issuer.netloc == urlparse(stack.oidc.url).netloc
    assert (params["code_challenge_method"], params["response_type"], params["client_id"]) == (
        "S256", "code", stack.oidc.client_id)
    assert "code_verifier" not in params and params["state"] and params["nonce"]
    login_cookie = next(c for c in browser.cookies if c.name == "ecoc_oidc")
    assert login_cookie.path == "/dashboard/oidc" and login_cookie.has_nonstandard_attr("HttpOnly")
    return params


def _sign_in_at_issuer(browser, stack, params, username):
    answer = browser.post(f"{stack.oidc.url}/authorize", data=dict(params, username=username), allow_redirects=False,
                          timeout=30)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def sign_in(stack, username):
    """A requests session signed in as `username` through the issuer, and the callback's answer."""
    browser = requests.Session()
    callback = _sign_in_at_issuer(browser, stack, _leave_for_issuer(browser, stack), username)
    return browser, browser.get(callback, allow_redirects=False, timeout=30)


def test_a_person_signs_in_at_the_issuer_and_out_again(stack, nordwind):
    stack.oidc.add_user("olga", ["viewer"], [demo_data.ENTITY])
    browser, back = sign_in(stack, "olga")
    assert back.status_code == 200 and "Signed in as olga" in back.text, back.text
    cookie = back.cookies.get("ecoc_session") and next(c for c in back.cookies if c.name == "ecoc_session")
    set_cookie = back.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/dashboard" in set_cookie
    assert "Secure" not in set_cookie.split("ecoc_session=")[1].split(",")[0]  # local mode over plain HTTP
    assert cookie.value and "." not in cookie.value  # an opaque id, not a token

    page = browser.get(stack.url("/dashboard"), allow_redirects=False, timeout=30)
    assert page.status_code == 200 and "signed in as olga (viewer)" in page.text, page.text
    assert browser.get(stack.url("/v1/dashboard"), timeout=30).status_code == 401  # never a credential for the API
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]

    refused = browser.post(stack.url("/dashboard/logout"), data={"csrf": "forged"}, headers=SAME_ORIGIN,
                           allow_redirects=False, timeout=30)
    assert refused.status_code == 403
    kept = cookie.value
    out = browser.post(stack.url("/dashboard/logout"), data={"csrf": csrf}, headers=SAME_ORIGIN,
                       allow_redirects=False, timeout=30)
    assert out.status_code == 303 and out.headers["Location"] == "/dashboard/login"
    # the session ended on the server: the old cookie, replayed, signs nobody in
    replay = requests.get(stack.url("/dashboard"), cookies={"ecoc_session": kept}, allow_redirects=False, timeout=30)
    assert replay.status_code == 303 and replay.headers["Location"] == "/dashboard/login"


def test_sign_ins_that_must_fail(stack, nordwind):
    stack.oidc.add_user("norole", [], [demo_data.ENTITY])
    stack.oidc.add_user("olga", ["viewer"], [demo_data.ENTITY])

    # the issuer's answer reaching another browser (a state it did not begin) signs nobody in
    browser = requests.Session()
    callback = _sign_in_at_issuer(browser, stack, _leave_for_issuer(browser, stack), "olga")
    stranger = requests.Session()
    stolen = stranger.get(callback, allow_redirects=False, timeout=30)
    assert stolen.status_code == 400 and "ecoc_session" not in stolen.cookies, stolen.text
    # and once tried, that sign-in is used up for its own browser too
    assert browser.get(callback, allow_redirects=False, timeout=30).status_code == 400

    # a code is exchanged once: a second sign-in with the same code fails at the issuer
    browser = requests.Session()
    params = _leave_for_issuer(browser, stack)
    callback = _sign_in_at_issuer(browser, stack, params, "olga")
    code = parse_qs(urlparse(callback).query)["code"][0]
    assert browser.get(callback, allow_redirects=False, timeout=30).status_code == 200
    again = requests.Session()
    again_params = _leave_for_issuer(again, stack)
    replayed = again.get(stack.url(f"/dashboard/oidc/callback?code={code}&state={again_params['state']}"),
                         allow_redirects=False, timeout=30)
    assert replayed.status_code == 401 and "invalid_grant" in replayed.text, replayed.text

    # signed in at the issuer, but holding no role of ecoc
    browser, back = sign_in(stack, "norole")
    assert back.status_code == 403 and "ecoc_session" not in back.cookies, back.text
