"""The dashboard as a person sees it: headless Chromium, driven over plain WebDriver HTTP by chromedriver
(both started here), signs in through the login form and reads the rendered page: the blocked vehicle
with its finding, the release waiting for review, and from there the readable CoC of one of its vehicles.
Skipped, saying why, when chromium or chromedriver is not installed (`make system-deps` installs them)."""
import copy
import shutil
import subprocess
import time

import pytest
import requests

from cli import demo_data
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

    def text(self, xpath):
        """What a person sees of the element (rendered text, as `innerText`)."""
        return self._call("GET", f"/session/{self.session}/element/{self.find(xpath)}/text")

    def type(self, xpath, text):
        self._call("POST", f"/session/{self.session}/element/{self.find(xpath)}/value", {"text": text})

    def click(self, xpath):
        self._call("POST", f"/session/{self.session}/element/{self.find(xpath)}/click", {})

    def cookies(self):
        return self._call("GET", f"/session/{self.session}/cookie")


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
