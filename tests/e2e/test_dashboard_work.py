"""The team-management and work pages in a browser (headless Chromium, as `test_dashboard_browser`): a team lead
signed in at the test OIDC issuer makes a team with a member and an OIDC group and a rule on the team page; a person
whose ID token carries that group finds the vehicle under "My work", claims it and gives it back; the lead assigns
it to the member. Both pages pass axe-core and read at 420 px. Skipped, saying why, without chromium/chromedriver.
The work page's filters and paging are read over HTTP (no browser)."""
import copy

import pytest

from cli import demo_data
from tests.e2e.test_dashboard_browser import (  # noqa: F401 - `browser` is the fixture of that module
    ARTIFACTS, AXE, browser, check_page, sign_in_at_issuer, sign_out,
)
from tests.e2e.test_dashboard_lists import page, texts

pytestmark = pytest.mark.e2e

SEED = 7474
GROUP = "gent-desk"
VIN = demo_data.vins(1, seed=SEED + 1)[0]


@pytest.fixture(scope="module")
def people(nordwind, stack, wait):
    """At the issuer: a team lead and a data steward whose ID token carries the group `gent-desk`; a blocked vehicle
    (for Ireland, built for right-hand traffic)."""
    e = [demo_data.ENTITY]
    stack.oidc.add_user("lena", ["team_lead"], e)
    stack.oidc.add_user("gwen", ["data_steward"], e, groups=[GROUP])
    steward, viewer = stack.client("dana", ["data_steward"], e), stack.client("vic", ["viewer"], e)
    [vehicle] = [dict(copy.deepcopy(v), vin=VIN, intended_country="IRL") for v in demo_data.vehicles(1, seed=SEED)]
    assert steward.post("/v1/vehicles/import", {"vehicles": [vehicle]})["accepted"] == 1
    wait(lambda: viewer.get(f"/v1/vehicles/{VIN}")["status"] == "blocked", 30, interval=0.3,
         what="the work page's vehicle to be blocked")
    return viewer


def test_a_team_lead_manages_a_team_and_a_group_member_claims_its_work(browser, stack, people, wait):
    """Each click that posts a form is followed by finding what only the next page has (the finder waits for it)."""
    if AXE.is_file():
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser._call("POST", f"/session/{browser.session}/timeouts", {"script": 60000})
    sign_in_at_issuer(browser, stack, "lena")
    browser.click("//nav//a[text()='Teams']")
    browser.type("//input[@id='new-team-name']", "Gent desk")
    browser.click("//button[@id='create-team']")
    browser.find("//section[h3[starts-with(normalize-space(.), 'Gent desk')]]")
    assert browser.text("//p[@class='done']") == "Team created."
    [team] = [t for t in people.get("/v1/teams")["items"] if t["name"] == "Gent desk"]
    section = f"//section[@id='team-{team['id']}']"

    def change(field, value, then):
        browser.type(f"//input[@id='{field}-{team['id']}']", value)
        browser.click(f"{section}//form[.//input[@id='{field}-{team['id']}']]//button")
        browser.find(then)
    change("add-member", "mo", f"{section}//button[@aria-label='Remove member mo from Gent desk']")
    change("add-member", "nils", f"{section}//button[@aria-label='Remove member nils from Gent desk']")
    change("add-group", GROUP, f"{section}//button[@aria-label='Remove group {GROUP} from Gent desk']")
    browser.click(f"{section}//button[@aria-label='Remove member nils from Gent desk']")
    wait(lambda: "nils" not in browser.text(section), 20, interval=0.2, what="nils off the team page")
    assert browser.text("//p[@class='done']") == "Team changed."
    [team] = [t for t in people.get("/v1/teams")["items"] if t["id"] == team["id"]]
    assert (team["members"], team["groups"]) == (["mo"], [GROUP])
    # the rule: this one VIN (other tests' vehicles keep their owners)
    browser.click(f"//select[@id='rule-team']/option[@value='{team['id']}']")
    browser.click("//select[@id='rule-field']/option[@value='vin_pattern']")
    browser.type("//input[@id='rule-pattern']", VIN)
    browser.execute("document.getElementById('rule-position').value = '0';")
    browser.click("//button[@id='add-rule']")
    browser.find(f"//table[@class='rules']//tr[td/code[text()='{VIN}']]")
    assert browser.text("//p[@class='done']") == "Rule added."
    [rule] = [r for r in people.get("/v1/ownership-rules")["items"] if r["team_id"] == team["id"]]
    assert (rule["field"], rule["pattern"], rule["position"], rule["created_by"]) == ("vin_pattern", VIN, 0, "lena")
    problems = {"teams": check_page(browser, "teams", stack.url("/dashboard/teams"))} if AXE.is_file() else {}
    sign_out(browser, stack)

    # gwen is a member by her group: the vehicle is her work; she claims it, then gives it back
    sign_in_at_issuer(browser, stack, "gwen")
    browser.click("//nav//a[text()='My work']")
    row = f"//tr[@id='work-{VIN}']"
    assert "Gent desk" in browser.text(row) and browser.text(f"{row}/td[@class='assignee']").startswith("nobody")
    browser.click(f"//button[@id='claim-{VIN}']")
    browser.find(f"//button[@id='give-back-{VIN}']")
    assert browser.text("//p[@class='done']") == "You work on it now."
    assert browser.text(f"{row}/td[@class='assignee']").startswith("gwen")
    assert [i["id"] for i in people.get("/v1/work", params={"assignee": "gwen"})["items"]] == [VIN]
    if AXE.is_file():
        problems["my-work-claimed"] = check_page(browser, "my-work-claimed", stack.url("/dashboard/work?mine=1"))
    browser.click(f"//button[@id='give-back-{VIN}']")
    browser.find(f"//button[@id='claim-{VIN}']")
    assert browser.text("//p[@class='done']") == "Nobody works on it now."
    assert people.get("/v1/work", params={"assignee": "gwen"})["items"] == []
    sign_out(browser, stack)

    # the lead assigns it to mo, then removes the rule: the vehicle has no owner any more
    sign_in_at_issuer(browser, stack, "lena")
    browser.open(stack.url(f"/dashboard/work?team={team['id']}"))
    browser.click(f"//select[@id='assign-{VIN}']/option[@value='mo']")
    browser.click(f"//button[@id='assign-button-{VIN}']")
    browser.find(f"//button[@id='unassign-{VIN}']")
    assert browser.text("//p[@class='done']") == "Assigned."
    assert browser.text(f"{row}/td[@class='assignee']").startswith("mo (by lena)")
    browser.open(stack.url("/dashboard/teams"))
    browser.click(f"//tr[@id='rule-{rule['id']}']//button")
    browser.find("//p[@class='done' and text()='Rule removed.']")
    assert [r for r in people.get("/v1/ownership-rules")["items"] if r["team_id"] == team["id"]] == []
    sign_out(browser, stack)
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}


def test_the_team_page_is_for_team_leads(browser, stack, people):
    sign_in_at_issuer(browser, stack, "gwen")
    browser.open(stack.url("/dashboard/teams"))
    assert "team_lead" in browser.text("//body")
    assert "Teams" not in browser.text("//nav")
    sign_out(browser, stack)


def test_the_work_page_filters_and_pages_on_with_its_filters(stack, people):
    """Over HTTP, no browser: the page's filters as form fields, a next-page link that keeps them, a bad filter
    answered as a page naming the field."""
    seen, link, pages = [], "/dashboard/work?kind=vehicle&intended_country=IRL&limit=1", 0
    while link:
        doc = page(people, link)
        if not pages:
            assert doc.xpath("//select[@id='f-kind']/option[@selected]/@value") == ["vehicle"]
            assert doc.xpath("//input[@id='f-country']/@value") == ["IRL"]
        rows = [r.get("id") for r in doc.xpath("//table[@class='work']//tr[@id]")]
        assert len(rows) <= 1 and not set(rows) & set(seen)
        seen += rows
        [link] = doc.xpath("//a[@id='next-page']/@href") or [None]
        assert link is None or all(f in link for f in ("kind=vehicle", "intended_country=IRL", "limit=1")), link
        pages += 1
    assert f"work-{VIN}" in seen and pages >= len(seen)

    releases = page(people, f"/dashboard/work?kind=release&intended_country=IRL&approval_number="
                            f"{demo_data.APPROVAL_NUMBER}")
    assert f"work-{VIN}" not in [r.get("id") for r in releases.xpath("//table[@class='work']//tr[@id]")]
    old = page(people, "/dashboard/work?intended_country=IRL&older_than_days=1")
    assert texts(old, "//p[@id='none-found']") == ["No work matches these filters."]
    for query, field in (("older_than_days=0", "older_than_days"), ("kind=person", "kind"),
                         ("cursor=not-a-cursor", "cursor"), ("intended_country=irl1", "intended_country")):
        bad = page(people, f"/dashboard/work?{query}", status=422)
        assert any(t.startswith(f"{field}:") for t in texts(bad, "//ul/li")), (query, texts(bad, "//ul/li"))
