"""The bulk status action in a real Chromium, as an editor clicks through it.

The editor logs in through the login form, ticks two claims on the claim list, chooses
「選択した主張のステータスを変更…」, sees the intermediate page, applies and reads the result.
Uses the ``browser`` fixture of conftest.py; skipped without Chromium unless REQUIRE_BROWSER=1.
"""

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from claims.models import Claim, StatusChange
from claims.roles import EDITORS, create_roles
from claims.tests.browser import wait_for
from claims.tests.factories import add_evidence, claim_for, make_article, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password-42"
Status = Claim.Status


def ja(message, *args):
    with translation.override("ja"):
        return str(ngettext(message, *args) if args else gettext(message))


def loaded(driver):
    return driver.execute_script("return document.readyState") == "complete"


@pytest.fixture
def desk(live_server):
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # the transactional flush renumbered them
    create_roles(apps)  # a transactional test starts from an empty database
    article = make_article()
    ready = claim_for(article, "富士山は日本一高い山です。")
    add_evidence(ready, url="https://example.com/fuji", title="国土地理院")
    bare = claim_for(article, "最後の文です。")
    editor = make_user("hanako", groups=[EDITORS], password=PASSWORD)
    return {"url": live_server.url, "ready": ready, "bare": bare, "editor": editor}


def log_in(driver, base):
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(base + reverse("admin:login"))
    wait_for(driver, loaded)
    driver.find_element(By.NAME, "username").send_keys("hanako")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit], button[type=submit]").click()
    wait_for(driver, lambda d: "/admin/login/" not in d.current_url and loaded(d))


def test_editor_changes_the_status_of_two_claims_from_the_claim_list(browser, desk):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, ready, bare = desk["url"], desk["ready"], desk["bare"]
    log_in(browser, base)
    changelist = base + reverse("admin:claims_claim_changelist")
    browser.get(changelist)
    wait_for(browser, loaded)

    for claim in (ready, bare):
        browser.find_element(By.CSS_SELECTOR, f"input.action-select[value='{claim.pk}']").click()
    action = Select(browser.find_element(By.NAME, "action"))
    action.select_by_value("change_status_action")
    assert action.first_selected_option.text == ja("Change status of selected claims…")
    browser.find_element(By.CSS_SELECTOR, "button[name=index], input[name=index]").click()

    # The intermediate page: the two statements and the form.
    wait_for(browser, lambda d: d.find_elements(By.NAME, "apply"))
    page = browser.find_element(By.ID, "content").text
    assert ready.statement in page and bare.statement in page
    ticked = [box.get_attribute("value") for box in browser.find_elements(By.NAME, "_selected_action")]
    assert sorted(ticked) == sorted([str(ready.pk), str(bare.pk)])
    Select(browser.find_element(By.NAME, "status")).select_by_value(Status.VERIFIED)
    browser.find_element(By.NAME, "note").send_keys("ブラウザから確認。")
    browser.find_element(By.NAME, "apply").click()

    # Back on the list, with the result.
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ul.messagelist li"))
    assert browser.current_url.split("?")[0] == changelist
    success = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "ul.messagelist li.success")]
    errors = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "ul.messagelist li.error")]
    assert success == [ja("%(count)d claim changed status.", "%(count)d claims changed status.", 1) % {"count": 1}]
    assert len(errors) == 1 and f"#{bare.pk}" in errors[0] and f"#{ready.pk}" not in errors[0]
    with translation.override("ja"):
        assert gettext("Verified needs at least one evidence link that supports the statement.") in errors[0]

    ready.refresh_from_db(), bare.refresh_from_db()
    assert ready.status == Status.VERIFIED and bare.status == Status.PENDING
    row = ready.history.get(via=StatusChange.Via.BULK)
    assert (row.to_status, row.note, row.user) == (Status.VERIFIED, "ブラウザから確認。", desk["editor"])
