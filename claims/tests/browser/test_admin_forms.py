"""The claim form's scripts in a real Chromium (issue 15): a new evidence row follows the status,
a status change with an untouched public note is asked about once the save would go through, tags autocomplete after 、.

Uses the ``browser`` fixture of conftest.py; skipped without Chromium unless REQUIRE_BROWSER=1.
"""

import pytest
from django.apps import apps
from django.urls import reverse

from claims.models import Claim
from claims.roles import EDITORS, create_roles
from claims.tests.browser import admin_log_in, loaded, wait_for
from claims.tests.factories import claim_for, make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password-42"


@pytest.fixture
def desk(live_server):
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # the transactional flush renumbered them
    create_roles(apps)
    article = make_article(slug="hundred-model-war")
    claim = claim_for(article, "富士山は日本一高い山です。")
    claim.tags.add("研究史", "日本")
    make_user("hanako", groups=[EDITORS], password=PASSWORD)
    return {"url": live_server.url, "claim": claim}


def open_claim(browser, desk):
    admin_log_in(browser, desk["url"], "hanako", PASSWORD)
    browser.get(desk["url"] + reverse("admin:claims_claim_change", args=[desk["claim"].pk]))
    wait_for(browser, loaded)


NOTE_QUESTION = "公開の判定メモは変更されていません"


def test_an_untouched_note_is_asked_about_after_the_rules_and_a_new_row_takes_the_stance(browser, desk):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_claim(browser, desk)
    Select(browser.find_element(By.NAME, "status")).select_by_value(Claim.Status.VERIFIED)
    blank = Select(browser.find_element(By.NAME, "evidence-0-stance"))
    assert blank.first_selected_option.get_attribute("value") == "supports"

    # No supporting link yet: the save fails on the rule, and nothing asks about the note first.
    browser.find_element(By.NAME, "_continue").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".errornote"))
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - reading it is the check
    assert NOTE_QUESTION not in browser.find_element(By.TAG_NAME, "body").text

    # With the link the save would go through: the question comes, and nothing is saved yet.
    browser.find_element(By.NAME, "evidence-0-url").send_keys("https://example.com/source")
    browser.find_element(By.NAME, "_continue").click()
    wait_for(browser, lambda d: NOTE_QUESTION in d.find_element(By.TAG_NAME, "body").text)
    desk["claim"].refresh_from_db()
    assert desk["claim"].status == Claim.Status.PENDING and not desk["claim"].evidence.exists()

    # Saving again saves.
    browser.find_element(By.NAME, "_continue").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".messagelist .success"))
    assert NOTE_QUESTION not in browser.find_element(By.TAG_NAME, "body").text


def test_tags_autocomplete_after_a_japanese_comma(browser, desk):
    from selenium.webdriver.common.by import By

    open_claim(browser, desk)
    field = browser.find_element(By.NAME, "tags")
    field.clear()
    field.send_keys("日本、研")
    options = browser.execute_script(
        "return Array.from(document.getElementById('tag-options').options, (option) => option.value);"
    )
    assert options == ["日本、研究史"]
