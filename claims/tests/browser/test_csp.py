"""The content security policy in a real Chromium: no violation in the admin or on public pages.

The admin has its own policy (claims/middleware.py); these tests log in through the real login
form and use the pages' scripts (inlines, the tag list, import-export's "select all" handler,
which is allowed by its hash alone), then read the browser's console for CSP reports. The public
pages are checked too: their JSON-LD blocks are data, which script-src does not block.
Skipped without Chromium unless REQUIRE_BROWSER=1, like the other browser tests.
"""

import pytest
from django.apps import apps
from django.urls import reverse

from claims.models import Claim, Evidence
from claims.roles import CHIEF_EDITORS, create_roles
from claims.tests.browser import BODY, open_page, wait_for
from claims.tests.factories import add_evidence, claim_for, make_article, make_status, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password-42"


@pytest.fixture
def desk(live_server, settings):
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()  # the transactional flush renumbered them
    article = make_article(slug=settings.HOME_ARTICLE_SLUG, title="百モデル大戦(テスト)", body=BODY)
    claim = claim_for(article, "東京は日本の首都です。")
    add_evidence(claim, title="政府の資料", publisher="内閣府")
    claim = make_status(claim, Claim.Status.VERIFIED, note="事実上の首都。")
    claim.tags.add("地理")
    Evidence.objects.filter(claim=claim).update(
        link_status=Evidence.LinkStatus.DEAD, link_status_code=404, archive_url="https://web.archive.org/web/2023/x"
    )
    create_roles(apps)  # a transactional test starts from an empty database
    make_user("chief", groups=[CHIEF_EDITORS], password=PASSWORD)
    return {"url": live_server.url, "article": article, "claim": claim}


def csp_reports(driver):
    """Console messages of content-security-policy violations since the last call."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Content-Security-Policy" in entry["message"]
    ]


def log_in(driver, base):
    from selenium.webdriver.common.by import By

    open_page(driver, base + reverse("admin:login"))
    driver.find_element(By.NAME, "username").send_keys("chief")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit], button[type=submit]").click()
    wait_for(driver, lambda d: "/admin/login/" not in d.current_url)
    assert csp_reports(driver) == []


def visit(driver, url):
    driver.get(url)
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def test_admin_pages_raise_no_csp_violation_and_their_scripts_work(browser, desk):
    from selenium.webdriver.common.by import By

    base = desk["url"]
    log_in(browser, base)

    visit(browser, base + reverse("admin:claims_claim_changelist"))
    assert browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    browser.find_element(By.ID, "action-toggle").click()  # actions.js: select every row
    assert all(box.is_selected() for box in browser.find_elements(By.CSS_SELECTOR, "input.action-select"))
    assert csp_reports(browser) == []

    visit(browser, base + reverse("admin:claims_claim_change", args=[desk["claim"].pk]))
    page = browser.page_source
    assert "https://web.archive.org/web/2023/x" in page  # the dead link's archived copy
    forms_before = len(browser.find_elements(By.CSS_SELECTOR, ".inline-related:not(.empty-form)"))
    browser.find_element(By.CSS_SELECTOR, ".add-row a").click()  # inlines.js: another evidence form
    wait_for(
        browser,
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".inline-related:not(.empty-form)")) == forms_before + 1,
    )
    assert csp_reports(browser) == []

    visit(browser, base + reverse("admin:claims_claim_history", args=[desk["claim"].pk]))
    assert csp_reports(browser) == []

    visit(browser, base + reverse("admin:claims_reviewqueueitem_changelist"))
    assert "dead link" in browser.page_source or "リンク切れ" in browser.page_source
    assert csp_reports(browser) == []

    for name, args in [
        ("admin:claims_statuschange_changelist", []),
        ("admin:claims_article_change", [desk["article"].pk]),
        ("admin:claims_claim_recoverlist", []),
        ("admin:taggit_tag_changelist", []),
        ("admin:index", []),
    ]:
        visit(browser, base + reverse(name, args=args))
        assert csp_reports(browser) == [], name


def test_admin_import_and_export_pages_work_under_the_policy(browser, desk):
    from selenium.webdriver.common.by import By

    base = desk["url"]
    log_in(browser, base)

    visit(browser, base + reverse("admin:claims_claim_import"))
    assert browser.find_elements(By.CSS_SELECTOR, "input[type=file]")
    assert csp_reports(browser) == []

    visit(browser, base + reverse("admin:claims_claim_export"))
    assert browser.find_elements(By.CSS_SELECTOR, "form select, form input[type=submit], form button")
    # With selectable fields, import-export adds a "select all" box whose inline onchange handler
    # the admin policy allows by its hash alone: when it is there, it must work.
    for toggle in browser.find_elements(By.NAME, "select-all-toggle"):
        fields = [
            box
            for box in browser.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")
            if box.get_attribute("name") != "select-all-toggle" and box.is_displayed()
        ]
        toggle.click()
        wait_for(browser, lambda d, fields=fields: not any(box.is_selected() for box in fields))
        toggle.click()
        wait_for(browser, lambda d, fields=fields: all(box.is_selected() for box in fields))
    assert csp_reports(browser) == []


def test_public_pages_raise_no_csp_violation_with_their_json_ld(browser, desk):
    from selenium.webdriver.common.by import By

    base = desk["url"]
    claim = desk["claim"]
    browser.delete_all_cookies()
    for path in ["/", "/claims/", f"/claims/{claim.pk}/", f"/tags/{claim.tags.get().slug}/", "/health/"]:
        visit(browser, base + path)
        assert csp_reports(browser) == [], path
    visit(browser, base + f"/claims/{claim.pk}/")
    blocks = browser.find_elements(By.CSS_SELECTOR, 'script[type="application/ld+json"]')
    assert blocks, "the claim page carries JSON-LD"
    # The data block is there for crawlers and readable by scripts, and the policy let the page be.
    data = browser.execute_script(
        "return JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)"
    )
    assert "@graph" in data or "@type" in data
    assert csp_reports(browser) == []


def test_an_inline_script_would_be_reported(browser, desk):
    """The check above can fail: a page with an inline script raises a CSP report in the console."""
    base = desk["url"]
    visit(browser, base + "/claims/")
    browser.get_log("browser")
    browser.execute_script(
        "var s = document.createElement('script'); s.textContent = 'window.__ran = 1'; document.body.appendChild(s);"
    )
    wait_for(browser, lambda d: csp_reports(d) or d.execute_script("return window.__ran === 1"))
    assert browser.execute_script("return window.__ran === 1") is False
