"""The dashboard as a person sees it: headless Chromium, driven over plain WebDriver HTTP by chromedriver
(both started here), signs in through the login form and reads the rendered page: the blocked vehicle
with its finding, the release waiting for review, and from there the readable CoC of one of its vehicles.
Skipped, saying why, when chromium or chromedriver is not installed (`make system-deps` installs them)."""
import base64
import datetime
import copy
import shutil
import subprocess
import time

import pytest
import requests

from cli import demo_data
from common.config import REPO_ROOT
from tests.support import free_port

pytestmark = pytest.mark.e2e

SEED = 7373
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000"]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element reference key
BLOCKED_VIN = demo_data.vins(1, seed=SEED + 1)[0]


class Browser:
    """The few W3C WebDriver commands this test needs, over HTTP."""

    def __init__(self, base):
        self.base = base
        self.session = None

    def _call(self, method, path, body=None):
        response = requests.request(method, f"{self.base}{path}", json=body, timeout=60)
        value = response.json()["value"]
        if response.status_code != 200:
            raise AssertionError(f"WebDriver {method} {path}: {response.status_code} {value}")
        return value

    def start(self, user_data_dir):
        options = {"binary": CHROMIUM, "args": CHROME_FLAGS + [f"--user-data-dir={user_data_dir}"]}
        value = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})
        self.session = value["sessionId"]
        # a click that submits a form or follows a link returns before the next page is there: finding an element
        # waits for it (up to 20 s), and `wait_for_url` waits for a navigation
        self._call("POST", f"/session/{self.session}/timeouts", {"implicit": 20000})

    def quit(self):
        if self.session:
            requests.delete(f"{self.base}/session/{self.session}", timeout=30)

    def open(self, url):
        self._call("POST", f"/session/{self.session}/url", {"url": url})

    def url(self):
        return self._call("GET", f"/session/{self.session}/url")

    def wait_for_url(self, url, timeout=20):
        """The page's URL once it is `url` (after a click's navigation completed); the URL it has at the deadline
        otherwise, for the assertion to show."""
        deadline = time.monotonic() + timeout
        while (current := self.url()) != url and time.monotonic() < deadline:
            time.sleep(0.1)
        return current

    def find(self, xpath):
        return self._call("POST", f"/session/{self.session}/element", {"using": "xpath", "value": xpath})[ELEMENT]

    def text(self, xpath, attempts=5):
        """What a person sees of the element (rendered text, as `innerText`). An element found on a page that a
        navigation then replaced is stale: it is looked up again on the page that is there now."""
        for attempt in range(attempts):
            try:
                return self._call("GET", f"/session/{self.session}/element/{self.find(xpath)}/text")
            except AssertionError as exc:
                if "stale element" not in str(exc) or attempt == attempts - 1:
                    raise

    def type(self, xpath, text):
        self._call("POST", f"/session/{self.session}/element/{self.find(xpath)}/value", {"text": text})

    def click(self, xpath):
        self._call("POST", f"/session/{self.session}/element/{self.find(xpath)}/click", {})

    def cookies(self):
        return self._call("GET", f"/session/{self.session}/cookie")

    def execute(self, script, *args, asynchronous=False):
        kind = "async" if asynchronous else "sync"
        return self._call("POST", f"/session/{self.session}/execute/{kind}", {"script": script, "args": list(args)})

    def resize(self, width, height):
        self._call("POST", f"/session/{self.session}/window/rect", {"width": width, "height": height})

    def screenshot(self, path):
        path.write_bytes(base64.b64decode(self._call("GET", f"/session/{self.session}/screenshot")))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("chromium and chromedriver are needed (Debian: apt-get install chromium chromium-driver, "
                    "or `make system-deps`)")
    root = tmp_path_factory.mktemp("chromium")
    port = free_port()
    log = open(root / "chromedriver.log", "w")
    driver = subprocess.Popen([CHROMEDRIVER, f"--port={port}"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{base}/status", timeout=2).json()["value"]["ready"]:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"chromedriver did not start: {(root / 'chromedriver.log').read_text()}")
            time.sleep(0.2)
        chrome = Browser(base)
        chrome.start(root / "profile")
        yield chrome
        chrome.quit()
    finally:
        driver.terminate()
        try:
            driver.wait(10)
        except subprocess.TimeoutExpired:
            driver.kill()
        log.close()


@pytest.fixture(scope="module")
def scene(nordwind, stack, wait):
    """A vehicle for Ireland built for right-hand traffic (blocked by REG-001) and a valid one for Austria in
    a release waiting for review."""
    e = [demo_data.ENTITY]
    steward, viewer = stack.client("dana", ["data_steward"], e), stack.client("vic", ["viewer"], e)
    [good] = [dict(v, intended_country="A") for v in demo_data.vehicles(1, seed=SEED)]
    blocked = dict(copy.deepcopy(good), vin=BLOCKED_VIN, intended_country="IRL")
    assert steward.post("/v1/vehicles/import", {"vehicles": [good, blocked]})["accepted"] == 2

    def judged():
        found = {v["vin"]: viewer.get(f"/v1/vehicles/{v['vin']}") for v in (good, blocked)}
        return found if all(v["status"] != "draft" for v in found.values()) else None

    found = wait(judged, 30, interval=0.3, what="validation of the browser test's vehicles")
    assert (found[good["vin"]]["status"], found[BLOCKED_VIN]["status"]) == ("valid", "blocked"), found
    [finding] = [f for f in found[BLOCKED_VIN]["findings"] if f["rule"] == "REG-001"]
    release = steward.post("/v1/releases", {"vins": [good["vin"]], "note": "browser check"})
    token = stack.client("vic", ["viewer"], e)
    return {"good": good, "finding": finding, "release": release["id"], "token": token}


def test_a_person_signs_in_and_sees_the_blocked_vehicle_and_the_release_waiting_for_review(browser, scene, stack):
    browser.open(stack.url("/dashboard"))
    assert browser.url() == stack.url("/dashboard/login")  # not signed in: the login form
    browser.type("//textarea[@name='token']", scene["token"].session.headers["Authorization"].split(" ", 1)[1])
    browser.click("//button[@id='sign-in']")
    assert browser.wait_for_url(stack.url("/dashboard")) == stack.url("/dashboard"), browser.text("//body")
    [cookie] = [c for c in browser.cookies() if c["name"] == "ecoc_session"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/dashboard")

    section = f"//section[@id='entity-{demo_data.ENTITY}']"
    row = browser.text(f"{section}//table[@class='blocked']//tr[td/a[text()='{BLOCKED_VIN}']]")
    finding = scene["finding"]
    assert BLOCKED_VIN in row and "IRL" in row
    assert f"REG-001 (error) · Designed for right-hand or left-hand traffic: {finding['message']}" in row, row

    release_row = f"{section}//table[@class='releases']//tr[td/a[text()='{scene['release']}']]"
    cells = [browser.text(f"{release_row}/td[{i}]") for i in range(1, 8)]
    assert cells[:5] == [scene["release"], "review", "1", "A", cells[4]] and cells[4].startswith("dana, "), cells
    assert cells[6] == "browser check"

    browser.click(f"{section}//a[text()='{scene['release']}']")
    vin = scene["good"]["vin"]
    browser.click(f"//tr[td[1][text()='{vin}']]//a[text()='the vehicle now']")
    coc_page = stack.url(f"/dashboard/vehicles/{vin}/coc")
    assert browser.wait_for_url(coc_page) == coc_page
    page = browser.text("//body")
    assert "Not sealed yet" in page
    mass = browser.text("//table[@class='coc']//tr[td[2][text()='Actual mass of the vehicle (kg)']]")
    assert mass.split() == ["13.2", "Actual", "mass", "of", "the", "vehicle", "(kg)",
                            str(scene["good"]["coc"]["MassGroup"]["ActualMass"])], mass
    vin_line = browser.text("//table[@class='coc']//tr[td[2][text()='Vehicle identification number']]")
    assert vin_line.split() == ["0.10", "Vehicle", "identification", "number", vin]
    browser.click("//button[@id='sign-out']")
    assert browser.wait_for_url(stack.url("/dashboard/login")) == stack.url("/dashboard/login")


# -- the review workspace: signing in at the issuer and acting on the pages ------------------------------------

def sign_in_at_issuer(browser, stack, username):
    """Through the login page, the test OIDC issuer's form and back: the dashboard as `username`."""
    browser.open(stack.url("/dashboard/login"))
    browser.click("//a[@id='sign-in-oidc']")
    browser.type("//input[@id='username']", username)
    browser.click("//button[@id='issuer-sign-in']")
    assert browser.wait_for_url(stack.url("/dashboard")) == stack.url("/dashboard"), browser.text("//body")
    assert f"signed in as {username}" in browser.text("//nav")


def sign_out(browser, stack):
    browser.click("//button[@id='sign-out']")
    assert browser.wait_for_url(stack.url("/dashboard/login")) == stack.url("/dashboard/login")


@pytest.fixture(scope="module")
def workspace(nordwind, stack, wait):
    """People at the issuer (a steward who also reviews, a reviewer, the entity's signatory) and a valid vehicle
    waiting to be released."""
    e = [demo_data.ENTITY]
    stack.oidc.add_user("dora", ["data_steward", "reviewer"], e)
    stack.oidc.add_user("rita", ["reviewer"], e)
    stack.oidc.add_user("sam", ["signer"], e)
    steward, viewer = stack.client("dana", ["data_steward"], e), stack.client("vic", ["viewer"], e)
    [vehicle] = [dict(v, intended_country="A") for v in demo_data.vehicles(1, seed=SEED + 2)]
    assert steward.post("/v1/vehicles/import", {"vehicles": [vehicle]})["accepted"] == 1
    wait(lambda: viewer.get(f"/v1/vehicles/{vehicle['vin']}")["status"] == "valid", 30, interval=0.3,
         what="validation of the workspace vehicle")
    return {"vin": vehicle["vin"], "viewer": viewer, "mass": vehicle["coc"]["MassGroup"]["ActualMass"]}


def test_request_then_four_eyes_refused_then_approve_with_confirmation_then_sign(browser, stack, workspace, wait):
    vin = workspace["vin"]
    # dora (data steward and reviewer) picks the valid vehicle and requests a release on the page
    sign_in_at_issuer(browser, stack, "dora")
    browser.click("//nav//a[text()='Valid vehicles']")
    assert vin in browser.text("//table[@class='vehicles']"), browser.text("//body")
    browser.click(f"//input[@id='pick-{vin}']")
    browser.type("//textarea[@id='note']", "from the page")
    browser.click("//button[@id='request-release']")
    assert "Release requested" in browser.text("//p[@class='done']")
    release_url = browser.url().split("?")[0]
    release_id = release_url.rsplit("/", 1)[1]
    assert browser.text("//strong[@id='release-status']") == "in review"

    # she may not approve what she requested: the confirmation is shown, the service refuses, the page says why
    browser.click("//a[@id='approve']")
    assert browser.wait_for_url(f"{release_url}/approve") == f"{release_url}/approve"
    assert vin in browser.text("//table")
    browser.click("//button[@id='confirm-approve']")
    refusal = browser.text("//p[@role='alert']")
    assert refusal == "a reviewer cannot decide on a release they requested", refusal
    assert browser.text("//h1") == "Four-eyes rule"
    assert workspace["viewer"].get(f"/v1/releases/{release_id}")["status"] == "in_review"
    sign_out(browser, stack)

    # rita reviews: the pinned CoC with what a first issue takes from the vehicle, the findings and the history
    sign_in_at_issuer(browser, stack, "rita")
    browser.open(f"{release_url}/items/{vin}")
    assert browser.text("//h2[@id='changes-title']") == "First issue: the values from the vehicle"
    mass_row = browser.text("//table[@class='vehicle-values']//tr[td[2][text()='Actual mass of the vehicle (kg)']]")
    assert mass_row.split() == ["13.2", "Actual", "mass", "of", "the", "vehicle", "(kg)", str(workspace["mass"])]
    assert browser.text("//table[@class='history']//tr[2]/td[3]") == "dana"
    # she comments on the release; the comment stays on its page, with her name
    browser.open(release_url)
    browser.type("//textarea[@id='comment-body']", "pinned CoC checked against the approval")
    browser.click("//button[@id='add-comment']")
    comment = browser.text("//ol[@class='comments']/li[1]")
    assert comment.startswith("rita, ") and comment.endswith(": pinned CoC checked against the approval"), comment
    # approving needs the confirmation step
    browser.open(release_url)
    browser.click("//a[@id='approve']")
    assert workspace["viewer"].get(f"/v1/releases/{release_id}")["status"] == "in_review"  # not before confirming
    browser.click("//button[@id='confirm-approve']")
    assert browser.text("//p[@class='done']") == "Approved."
    assert browser.text("//strong[@id='release-status']") == "approved"
    assert workspace["viewer"].get(f"/v1/releases/{release_id}")["reviewed_by"] == "rita"
    sign_out(browser, stack)

    # sam, the entity's authorised signatory, signs after confirming; the vehicle is released
    sign_in_at_issuer(browser, stack, "sam")
    browser.open(release_url)
    browser.click("//a[@id='sign']")
    browser.click("//button[@id='confirm-sign']")
    assert browser.text("//p[@class='done']").startswith("Signing started")
    wait(lambda: workspace["viewer"].get(f"/v1/vehicles/{vin}")["status"] == "released", 60, interval=0.5,
         what="the signed vehicle to be released")
    browser.open(release_url)
    assert browser.text("//strong[@id='release-status']") == "released"
    sign_out(browser, stack)

    # a correction: its page shows, field by field, what differs from the certificate
    steward = stack.client("dana", ["data_steward"], [demo_data.ENTITY])
    mass = workspace["mass"] + 7
    steward.post(f"/v1/vehicles/{vin}/corrections", {"coc": {"MassGroup": {"ActualMass": mass}},
                                                     "reason": "weighed again"})
    sign_in_at_issuer(browser, stack, "rita")
    browser.open(stack.url(f"/dashboard/vehicles/{vin}/coc"))
    assert browser.text("//h2[@id='changes-title']") == "Changes against the last certificate"
    changed = browser.text("//table[@class='diff']//tr[td[2][text()='Actual mass of the vehicle (kg)']]")
    assert changed.split() == ["13.2", "Actual", "mass", "of", "the", "vehicle", "(kg)", str(workspace["mass"]),
                               str(mass)], changed
    assert browser.text("//table[@class='diff']/caption") == "1 field differs from the certificate"
    history = browser.text("//table[@class='history']//tr[2]")
    assert "weighed again" in history and "Actual mass of the vehicle (kg)" in history, history
    sign_out(browser, stack)


def test_a_form_without_the_session_csrf_token_changes_nothing(stack, workspace):
    """Outside the browser: a signed-in session's cookie with a forged CSRF token is refused, and so is a post
    carrying the token from another site."""
    steward = stack.client("dana", ["data_steward"], [demo_data.ENTITY])
    token = steward.session.headers["Authorization"].split(" ", 1)[1]
    web = requests.Session()
    login = web.post(stack.url("/dashboard/login"), data={"token": token}, allow_redirects=False, timeout=30)
    assert login.status_code == 303
    page = web.get(stack.url("/dashboard/vehicles?status=valid"), timeout=30)
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    forged = web.post(stack.url("/dashboard/releases"), data={"csrf": "forged", "vin": workspace["vin"]},
                      headers={"Sec-Fetch-Site": "same-origin"}, allow_redirects=False, timeout=30)
    assert forged.status_code == 403 and "CSRF" in forged.text
    cross = web.post(stack.url("/dashboard/releases"), data={"csrf": csrf, "vin": workspace["vin"]},
                     headers={"Sec-Fetch-Site": "cross-site"}, allow_redirects=False, timeout=30)
    assert cross.status_code == 403
    empty = web.post(stack.url("/dashboard/releases"), data={"csrf": csrf}, headers={"Sec-Fetch-Site": "same-origin"},
                     allow_redirects=False, timeout=30)
    assert empty.status_code == 422 and "vins" in empty.text


def test_an_exception_is_accepted_on_the_register_page_and_never_by_who_asked(browser, stack, workspace):
    expires = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()
    dora = stack.client("dora", ["data_steward", "reviewer"], [demo_data.ENTITY])
    asked = dora.post("/v1/exceptions", {"rule": "CON-004", "vin": workspace["vin"], "reason": "as in the specimen",
                                         "expires_on": expires})
    row = f"//tr[@id='exception-{asked['id']}']"

    # who asked may not decide: the page says why and the exception stays open
    sign_in_at_issuer(browser, stack, "dora")
    browser.click("//nav//a[text()='Exceptions']")
    browser.click(f"//button[@id='accept-{asked['id']}']")
    refused = stack.url(f"/dashboard/exceptions/{asked['id']}/decision")
    assert browser.wait_for_url(refused) == refused
    assert browser.text("//h1") == "Four-eyes rule"
    sign_out(browser, stack)

    sign_in_at_issuer(browser, stack, "rita")
    browser.open(stack.url("/dashboard/exceptions?state=open"))
    assert browser.text(f"{row}/td[@class='state']") == "open"
    browser.type(f"//input[@id='note-{asked['id']}']", "wheelbase checked")
    browser.click(f"//button[@id='accept-{asked['id']}']")
    assert browser.text("//p[@class='done']") == "Exception accepted."
    assert browser.text(f"{row}/td[@class='state']") == "accepted"
    assert browser.text(f"{row}/td[8]") == "accepted by rita: wheelbase checked"
    sign_out(browser, stack)


# -- every page: accessible (axe-core in the same browser), readable at 420 px, with screenshots ---------------

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboard"  # git-ignored; CI keeps it
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))))
  .catch(e => done([{id: "axe-failed", impact: "critical", help: String(e), targets: []}]));
"""
OVERFLOW = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"


def check_page(browser, name, url):
    """Open `url` at 1400 and 420 px: screenshots of both; no serious or critical axe violation; at 420 px no
    horizontal scrolling of the page itself (wide tables scroll inside their own box)."""
    problems = []
    for width in (1400, 420):
        browser.resize(width, 1000)
        browser.open(url)
        browser.find("//h1")  # the page is there
        browser.screenshot(ARTIFACTS / f"{name}-{width}.png")
        browser.execute(AXE.read_text())
        violations = browser.execute(RUN_AXE, asynchronous=True)
        problems += [dict(v, width=width) for v in violations if v["impact"] in ("serious", "critical")]
        if width == 420:
            overflow = browser.execute(OVERFLOW)
            if overflow > 0:
                problems.append({"id": "overflow", "width": width,
                                 "help": f"the page scrolls sideways by {overflow}px"})
    browser.resize(1400, 1000)
    return problems


def test_every_page_is_accessible_and_readable_at_420_px(browser, stack, scene, workspace):
    if not AXE.is_file():
        pytest.skip("axe-core is needed (`make node-deps`, or `npm install` at the repository root)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser._call("POST", f"/session/{browser.session}/timeouts", {"script": 60000})
    problems = {"login": check_page(browser, "login", stack.url("/dashboard/login"))}
    sign_in_at_issuer(browser, stack, "rita")
    release, vin = scene["release"], scene["good"]["vin"]
    pages = {
        "dashboard": "/dashboard",
        "vehicles": "/dashboard/vehicles?status=valid",
        "vehicles-filtered": "/dashboard/vehicles?status=blocked&intended_country=IRL&older_than_days=1&team=none",
        "releases": "/dashboard/releases?status=in_review",
        "bad-filter": "/dashboard/releases?intended_country=12",
        "release": f"/dashboard/releases/{release}",
        "approve-confirmation": f"/dashboard/releases/{release}/approve",
        "review-first-issue": f"/dashboard/releases/{release}/items/{vin}",
        "review-diff": f"/dashboard/vehicles/{workspace['vin']}/coc",
        "exceptions": "/dashboard/exceptions",
        "my-work": "/dashboard/work?mine=1",
        "work": "/dashboard/work",
        "not-found": f"/dashboard/vehicles/{demo_data.WMI}00000000000000/coc",
    }
    for name, path in pages.items():
        problems[name] = check_page(browser, name, stack.url(path))
    # the blocked vehicle of the first test is on the work page, oldest first
    browser.open(stack.url("/dashboard/work"))
    assert "waiting for" not in browser.text(f"//tr[@id='work-{BLOCKED_VIN}']").lower()
    assert "correction" in browser.text(f"//tr[@id='work-{BLOCKED_VIN}']")
    sign_out(browser, stack)
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}
