"""Readers' reports and the corrections page in a real Chromium, with and without JavaScript.

Uses the ``browser`` fixture of conftest.py; skipped without Chromium unless REQUIRE_BROWSER=1.
"""

import pytest
from django.urls import reverse

from claims.models import ArticleCorrection, Claim, Report
from claims.tests.browser import loaded, open_page, start_browser, wait_for
from claims.tests.factories import claim_for, make_article, make_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FUJI = "富士山は日本一高い山です。"


@pytest.fixture
def desk(live_server):
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    article = make_article(slug="hundred-model-war")
    claim = make_status(claim_for(article, FUJI), Claim.Status.VERIFIED, note="国土地理院で確認。")
    return {"url": live_server.url, "claim": claim, "article": article}


def fill_and_send(driver, message):
    from selenium.webdriver.common.by import By

    wait_for(driver, lambda d: d.find_elements(By.NAME, "message"))
    driver.find_element(By.NAME, "message").send_keys(message)
    driver.find_element(By.CSS_SELECTOR, ".report-form button[type=submit]").click()
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".notice[role=status]"))


def test_a_reader_reports_from_a_badges_popover(browser, desk):
    from selenium.webdriver.common.by import By

    claim = desk["claim"]
    open_page(browser, desk["url"] + "/")
    badge = wait_for(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"#claim-{claim.pk} + button.badge"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", badge)
    badge.click()
    link = wait_for(
        browser,
        lambda d: [
            a
            for a in d.find_elements(By.CSS_SELECTOR, f"#claim-{claim.pk}-popover a")
            if "/report/" in a.get_attribute("href") and a.is_displayed()
        ],
    )[0]
    link.click()
    fill_and_send(browser, "<b>二番目</b>ではありませんか。")
    report = Report.objects.get()
    assert report.claim_id == claim.pk and report.message == "<b>二番目</b>ではありませんか。"


def test_without_javascript_the_claim_page_leads_to_the_form(desk):
    from selenium.webdriver.common.by import By

    driver = start_browser(javascript=False)
    try:
        claim = desk["claim"]
        open_page(driver, desk["url"] + reverse("claims:claim", args=[claim.pk]))
        driver.find_element(By.CSS_SELECTOR, "a.report-link").click()
        wait_for(driver, loaded)
        fill_and_send(driver, "JavaScriptなしで送信。")
    finally:
        driver.quit()
    assert Report.objects.get().message == "JavaScriptなしで送信。"


def test_the_corrections_page_shows_a_text_correction_with_its_sentences(browser, desk):
    from selenium.webdriver.common.by import By

    ArticleCorrection.objects.create(
        article=desk["article"], note="言い回しを直した。", changes=[{"before": "古い文。", "after": "新しい文。"}]
    )
    open_page(browser, desk["url"] + reverse("claims:corrections"))
    entry = browser.find_element(By.CSS_SELECTOR, ".correction")
    assert "言い回しを直した。" in entry.text
    assert entry.find_element(By.TAG_NAME, "del").text == "古い文。"
    assert entry.find_element(By.TAG_NAME, "ins").text == "新しい文。"
