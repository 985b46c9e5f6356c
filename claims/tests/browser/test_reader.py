"""The public site in a real headless Chromium against the live server, as a reader uses it.

Also an accessibility audit (axe-core, injected into each page) and an HTML validity check (the
Nu HTML Checker, vnu.jar). Without Chromium, ChromeDriver, Java or the npm packages these tests are
skipped with the reason, unless REQUIRE_BROWSER=1 (CI), when they fail instead.
"""

import datetime
import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from claims.models import ArticleCorrection, Claim, Evidence
from claims.tests.browser import AXE, BODY, VNU, need, open_page, start_browser, wait_for
from claims.tests.factories import add_evidence, claim_for, make_article, make_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Status = Claim.Status


@pytest.fixture
def site(live_server):
    """The essay on the home page with a claim of every status, evidence, tags and a lost claim."""
    article = make_article(slug=settings.HOME_ARTICLE_SLUG, title="百モデル大戦(テスト)", body=BODY)
    capital = claim_for(article, "東京は日本の首都です。")
    add_evidence(capital, title="政府の資料", publisher="内閣府")
    capital = make_status(capital, Status.VERIFIED, note="法令上の定めはないが事実上の首都。")
    capital.tags.add("地理", "日本")
    fuji = make_status(
        claim_for(article, "富士山は日本一高い山です。"), Status.DISPUTED, note="比較の基準に異論がある。"
    )
    fuji.tags.add("地理")
    models = make_status(
        claim_for(article, "2023年には百を超えるモデルが発表されました。"),
        Status.OUTDATED,
        note="2026年には数がさらに増えた。",
        as_of=datetime.date(2023, 9, 1),
    )
    add_evidence(models, stance=Evidence.Stance.CONTEXT, title="統計", url="https://example.org/stats")
    lost = claim_for(article, "琵琶湖は日本一大きな湖です。")
    Claim.objects.filter(pk=lost.pk).update(is_anchored=False)
    ArticleCorrection.objects.create(
        article=article,
        note="数字を訂正した。",
        changes=[{"before": "百を超えた。", "after": "百を超えるモデルが発表された。"}],
    )
    return {"url": live_server.url, "capital": capital, "fuji": fuji, "models": models, "lost": lost}


def badge(driver, claim):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"#claim-{claim.pk} + .badge")


def popover(driver, claim):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, f"claim-{claim.pk}-popover")


def ja(status):
    with translation.override("ja"):
        return str(Status(status).label)


def console_errors(driver):
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# ---------------------------------------------------------------------------------------------
# A reader on the article page


def test_reader_opens_a_badge_with_the_mouse_and_follows_to_the_claim_page(browser, site):
    from selenium.webdriver.common.by import By

    open_page(browser, site["url"] + "/")
    button = badge(browser, site["capital"])
    assert button.tag_name == "button"
    assert button.get_attribute("aria-expanded") == "false"
    assert ja(Status.VERIFIED) in button.text

    button.click()
    details = popover(browser, site["capital"])
    wait_for(browser, lambda d: details.is_displayed())
    assert button.get_attribute("aria-expanded") == "true"
    assert button.get_attribute("aria-controls") == details.get_attribute("id")
    assert "法令上の定めはないが事実上の首都。" in details.text
    assert "政府の資料" in details.text

    # Opening another badge closes the first (the popover may cover it: a script click); a click
    # elsewhere closes it too.
    browser.execute_script("arguments[0].click()", badge(browser, site["models"]))
    wait_for(browser, lambda d: not details.is_displayed())
    other = popover(browser, site["models"])
    wait_for(browser, lambda d: other.is_displayed())
    assert "2023年9月" in other.text
    browser.find_element(By.TAG_NAME, "h1").click()
    wait_for(browser, lambda d: not other.is_displayed())

    button.click()
    details.find_element(By.CSS_SELECTOR, ".popover-more a").click()
    wait_for(browser, lambda d: d.current_url.endswith(site["capital"].get_absolute_url()))
    assert browser.find_element(By.TAG_NAME, "h1").text == "東京は日本の首都です。"
    assert console_errors(browser) == []


def test_reader_opens_and_closes_a_badge_with_the_keyboard(browser, site):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_page(browser, site["url"] + "/")
    button = badge(browser, site["fuji"])
    details = popover(browser, site["fuji"])
    browser.execute_script("arguments[0].focus()", button)

    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait_for(browser, lambda d: details.is_displayed())
    assert "比較の基準に異論がある。" in details.text

    # Tab goes into the popover (its close button first), Escape closes it and returns focus.
    ActionChains(browser).send_keys(Keys.TAB).perform()
    wait_for(browser, lambda d: d.switch_to.active_element.get_attribute("class") == "popover-close")
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    wait_for(browser, lambda d: not details.is_displayed())
    assert button.get_attribute("aria-expanded") == "false"
    wait_for(browser, lambda d: d.switch_to.active_element == button)

    ActionChains(browser).send_keys(Keys.SPACE).perform()
    wait_for(browser, lambda d: details.is_displayed())
    ActionChains(browser).send_keys(Keys.SPACE).perform()
    wait_for(browser, lambda d: not details.is_displayed())


def test_summary_counts_and_focus_on_disputed_and_outdated_claims(browser, site):
    from selenium.webdriver.common.by import By

    open_page(browser, site["url"] + "/")
    legend = browser.find_element(By.CSS_SELECTOR, ".claim-summary .legend").text
    assert ja(Status.DISPUTED) in legend and ja(Status.OUTDATED) in legend
    browser.find_element(By.CSS_SELECTOR, ".focus-toggle a").click()
    wait_for(browser, lambda d: "focus=issues" in d.current_url)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".essay.focus-issues"))
    assert not badge(browser, site["capital"]).is_displayed()
    assert badge(browser, site["fuji"]).is_displayed()
    assert badge(browser, site["models"]).is_displayed()


def test_lost_claim_is_listed_apart_not_on_a_sentence(browser, site):
    from selenium.webdriver.common.by import By

    open_page(browser, site["url"] + "/")
    assert not browser.find_elements(By.ID, f"claim-{site['lost'].pk}")
    unplaced = browser.find_element(By.CSS_SELECTOR, ".unplaced")
    assert "琵琶湖は日本一大きな湖です。" in unplaced.text


def test_popover_fits_a_360_pixel_phone(site):
    from selenium.webdriver.common.by import By

    driver = start_browser(width=360, height=740)
    try:
        open_page(driver, site["url"] + "/")
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
        button = badge(driver, site["models"])
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        details = popover(driver, site["models"])
        wait_for(driver, lambda d: details.is_displayed())
        rect = driver.execute_script("return arguments[0].getBoundingClientRect().toJSON()", details)
        assert rect["left"] >= 0 and rect["right"] <= 360, rect
        assert driver.find_element(By.CSS_SELECTOR, ".site-nav").is_displayed()
    finally:
        driver.quit()


# Every width from 200 to 360 px: is any badge on another line than its sentence's last character?
BADGES_APART = """
const body = document.querySelector(".essay-body");
const apart = [];
for (let width = 200; width <= 360; width += 2) {
  body.style.width = width + "px";
  for (const badge of body.querySelectorAll(".badge")) {
    const sentence = badge.previousElementSibling;
    const text = sentence.lastChild;
    const range = document.createRange();
    range.setStart(text, text.length - 1);
    range.setEnd(text, text.length);
    const last = Array.from(range.getClientRects()).pop();
    const mark = badge.getBoundingClientRect();
    const middle = mark.top + mark.height / 2;
    if (middle < last.top || middle > last.bottom) apart.push(width + ": " + sentence.id);
  }
}
body.style.width = "";
return apart;
"""


def test_a_badge_never_starts_a_line_alone(site):
    driver = start_browser(width=360, height=740)
    try:
        open_page(driver, site["url"] + "/")
        assert driver.execute_script(BADGES_APART) == []
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 360
    finally:
        driver.quit()


def test_on_a_phone_the_popovers_links_never_break_inside(site):
    from selenium.webdriver.common.by import By

    driver = start_browser(width=360, height=740)
    try:
        open_page(driver, site["url"] + "/")
        button = badge(driver, site["models"])
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        details = popover(driver, site["models"])
        wait_for(driver, lambda d: details.is_displayed())
        links = details.find_elements(By.CSS_SELECTOR, ".popover-more a")
        assert len(links) == 3
        driver.execute_script("arguments[0].style.width = '12em'", details)  # the narrowest phone
        for link in links:  # 「誤りを報告 →」 on one line, never 「誤/りを報告」
            rects = driver.execute_script(
                "return Array.from(arguments[0].getClientRects(), (r) => [r.top, r.bottom, r.left, r.right])", link
            )
            assert len({round(top) for top, *_ in rects}) == 1, (
                link.text,
                rects,
                link.value_of_css_property("white-space"),
            )
    finally:
        driver.quit()


def test_without_javascript_the_badge_is_a_link_to_the_claim_page(site):
    from selenium.webdriver.common.by import By

    driver = start_browser(javascript=False)
    try:
        open_page(driver, site["url"] + "/")
        link = badge(driver, site["fuji"])
        assert link.tag_name == "a"
        link.click()
        wait_for(driver, lambda d: d.current_url.endswith(site["fuji"].get_absolute_url()))
        assert "比較の基準に異論がある。" in driver.find_element(By.CSS_SELECTOR, ".verdict").text
    finally:
        driver.quit()


# ---------------------------------------------------------------------------------------------
# The claims index and the language switch


def test_reader_filters_the_claims_index(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    open_page(browser, site["url"] + "/claims/")
    search = browser.find_element(By.CSS_SELECTOR, "input[type=search]")
    search.send_keys("首都")
    browser.find_element(By.CSS_SELECTOR, ".filters button[type=submit]").click()
    wait_for(browser, lambda d: "q=" in d.current_url)
    items = browser.find_elements(By.CSS_SELECTOR, ".claim-item-statement")
    assert [item.text for item in items] == ["東京は日本の首都です。"]

    Select(browser.find_element(By.NAME, "status")).select_by_value("disputed")
    browser.find_element(By.CSS_SELECTOR, "input[type=search]").clear()
    browser.find_element(By.CSS_SELECTOR, ".filters button[type=submit]").click()
    wait_for(browser, lambda d: "status=disputed" in d.current_url)
    items = browser.find_elements(By.CSS_SELECTOR, ".claim-item-statement")
    assert [item.text for item in items] == ["富士山は日本一高い山です。"]

    browser.find_element(By.CSS_SELECTOR, ".claim-item .tag").click()
    wait_for(browser, lambda d: "/tags/" in d.current_url)
    assert "地理" in browser.find_element(By.TAG_NAME, "h1").text


def test_reader_switches_the_site_to_english_and_back(browser, site):
    from selenium.webdriver.common.by import By

    open_page(browser, site["url"] + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    browser.find_element(By.CSS_SELECTOR, ".language-switch button[value=en]").click()
    wait_for(
        browser,
        lambda d: (
            d.execute_script("return document.readyState === 'complete' && document.documentElement.lang") == "en"
        ),
    )
    wait_for(browser, lambda d: "Verified" in badge(d, site["capital"]).text)
    assert browser.current_url.rstrip("/") == site["url"]
    browser.find_element(By.CSS_SELECTOR, ".language-switch button[value=ja]").click()
    wait_for(
        browser,
        lambda d: (
            d.execute_script("return document.readyState === 'complete' && document.documentElement.lang") == "ja"
        ),
    )


# ---------------------------------------------------------------------------------------------
# Accessibility and HTML validity of the public pages


def page_paths(site):
    capital = site["capital"]
    tag = capital.tags.order_by("name").first()
    return {
        "article": "/",
        "article-focus": "/?focus=issues",
        "claim": capital.get_absolute_url(),
        "lost-claim": site["lost"].get_absolute_url(),
        "index": "/claims/?q=%E9%A6%96%E9%83%BD",
        "index-refused-search": "/claims/?q=" + urllib.request.quote(" ".join("あいうえおかきくけ")),
        "tag": f"/tags/{urllib.request.quote(tag.slug)}/",
        "not-found": "/no/such/page/",
        "method": "/method/",
        "corrections": "/corrections/",
        "corrections-policy": "/corrections/policy/",
        "report-claim": f"/report/?claim={capital.pk}",
        "report-sentence": f"/report/?article={capital.article.slug}",
    }


def test_axe_finds_no_serious_or_critical_violation(browser, site):
    need(AXE.exists(), f"axe-core is not installed ({AXE} missing: run npm ci)")
    script = AXE.read_text(encoding="utf-8")
    problems = {}
    for name, path in page_paths(site).items():
        for language in ("ja", "en"):
            open_page(browser, site["url"] + path)
            if language == "en":
                from selenium.webdriver.common.by import By

                browser.find_element(By.CSS_SELECTOR, ".language-switch button[value=en]").click()
                # Ask the document itself: an element found mid-navigation may belong to the old page.
                wait_for(
                    browser,
                    lambda d: (
                        d.execute_script("return document.readyState === 'complete' && document.documentElement.lang")
                        == "en"
                    ),
                )
            browser.execute_script(script)
            result = browser.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));"
            )
            assert isinstance(result, list), result
            bad = [
                f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
                for v in result
                if v["impact"] in ("serious", "critical")
            ]
            if bad:
                problems[f"{name} [{language}]"] = bad
    assert problems == {}


def test_nu_html_checker_finds_no_error(site, tmp_path):
    java = shutil.which("java")
    need(java is not None, "Java is not installed (apt-get install default-jre-headless)")
    need(VNU.exists(), f"vnu-jar is not installed ({VNU} missing: run npm ci)")
    files = []
    for name, path in page_paths(site).items():
        request = urllib.request.Request(site["url"] + path, headers={"Accept-Language": "ja"})
        try:
            with urllib.request.urlopen(request) as response:
                html = response.read()
        except urllib.error.HTTPError as error:  # the 404 page is checked too
            html = error.read()
        target = tmp_path / f"{name}.html"
        target.write_bytes(html)
        files.append(str(target))
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=240,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    errors = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}" for m in messages]
    assert errors == []
