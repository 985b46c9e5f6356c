"""Sign-off in a real Chromium: an editor proposes a verdict, another chief editor approves it.

Uses the ``browser`` fixture of conftest.py; skipped without Chromium unless REQUIRE_BROWSER=1.
"""

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from claims.models import Claim, Proposal
from claims.roles import CHIEF_EDITORS, EDITORS, create_roles
from claims.tests.browser import admin_log_in, loaded, wait_for
from claims.tests.factories import add_evidence, claim_for, make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.sign_off]
PASSWORD = "a-long-test-password-42"
NOTE = "国土地理院の標高一覧で確認した。"


@pytest.fixture
def desk(live_server):
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # the transactional flush renumbered them
    create_roles(apps)
    article = make_article(slug="hundred-model-war")
    claim = claim_for(article, "富士山は日本一高い山です。")
    add_evidence(claim, url="https://www.gsi.go.jp/fuji", title="日本の山岳標高一覧")
    make_user("hanako", groups=[EDITORS], password=PASSWORD)
    make_user("taro", groups=[CHIEF_EDITORS], password=PASSWORD)
    return {"url": live_server.url, "claim": claim}


def test_an_editor_proposes_and_a_chief_editor_approves(browser, desk):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, claim = desk["url"], desk["claim"]
    admin_log_in(browser, base, "hanako", PASSWORD)
    browser.get(base + reverse("admin:claims_claim_change", args=[claim.pk]))
    wait_for(browser, loaded)
    Select(browser.find_element(By.NAME, "status")).select_by_value(Claim.Status.VERIFIED)
    browser.find_element(By.NAME, "verdict_note").send_keys(NOTE)
    browser.find_element(By.NAME, "_continue").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.messagelist li.warning a"))
    link = browser.find_element(By.CSS_SELECTOR, "ul.messagelist li.warning a")
    proposal = Proposal.objects.get()
    assert link.get_attribute("href").endswith(reverse("admin:claims_proposal_change", args=[proposal.pk]))
    assert NOTE not in Client().get(reverse("claims:claim", args=[claim.pk])).content.decode()

    admin_log_in(browser, base, "taro", PASSWORD)
    browser.get(base + reverse("admin:claims_proposal_changelist"))
    wait_for(browser, loaded)
    browser.find_element(By.CSS_SELECTOR, f"a[href$='/proposal/{proposal.pk}/change/']").click()
    wait_for(browser, lambda d: d.find_elements(By.NAME, "approve"))
    # The approver reads the claim as readers will: its badge, the note that goes public, its sources.
    sides = browser.find_elements(By.CSS_SELECTOR, ".proposal-side")
    assert len(sides) == 2 and NOTE not in sides[0].text and NOTE in sides[1].text
    assert sides[1].find_elements(By.CSS_SELECTOR, ".status-verified")
    assert "日本の山岳標高一覧" in sides[1].text
    assert browser.find_elements(By.CSS_SELECTOR, ".note-diff ins")
    browser.find_element(By.NAME, "approve").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.messagelist li.success"))

    claim.refresh_from_db()
    assert claim.status == Claim.Status.VERIFIED and claim.verdict_note == NOTE
    row = claim.history.get()
    assert (row.user.username, row.approved_by.username) == ("hanako", "taro")
    browser.get(base + reverse("claims:claim", args=[claim.pk]))
    wait_for(browser, loaded)
    assert NOTE in browser.find_element(By.TAG_NAME, "main").text
