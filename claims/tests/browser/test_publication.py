"""The readers' pages in a real Chromium (issue 15): the index's filter form sends only the filters
in use.

Uses the ``browser`` fixture of conftest.py; skipped without Chromium unless REQUIRE_BROWSER=1.
"""

import pytest

from claims.tests.browser import loaded, open_page, wait_for
from claims.tests.factories import make_article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_filter_form_leaves_empty_fields_out_of_the_address(browser, live_server):
    from selenium.webdriver.common.by import By

    make_article(slug="hundred-model-war")
    open_page(browser, live_server.url + "/claims/")
    browser.find_element(By.NAME, "q").send_keys("富士山")
    browser.find_element(By.CSS_SELECTOR, "form.filters [type=submit]").click()
    wait_for(browser, lambda d: "q=" in d.current_url and loaded(d))
    assert browser.current_url.endswith("/claims/?q=%E5%AF%8C%E5%A3%AB%E5%B1%B1")
    assert "富士山は日本一高い山です。" in browser.find_element(By.TAG_NAME, "main").text


@pytest.fixture
def publication(live_server):
    from claims.models import Claim
    from claims.tests.factories import add_evidence, claim_for, make_status

    home = make_article(slug="hundred-model-war", title="AI百モデル大戦", lead="2023年の競争。")
    claim = claim_for(home, "富士山は日本一高い山です。")
    add_evidence(claim, title="", publisher="", url="https://www.example.org/c")
    make_status(claim, Claim.Status.VERIFIED, note="資料で確認。")
    claim.tags.add("地理")
    make_article(slug="second-essay", title="二本目の記事", lead="二本目のリード。")
    return {"url": live_server.url, "claim": claim}


def new_pages(publication):
    return {
        "articles": "/articles/",
        "home-at-its-address": "/articles/hundred-model-war/",
        "claim": publication["claim"].get_absolute_url(),
    }


def test_axe_finds_no_serious_violation_on_the_new_pages(browser, publication):
    from claims.tests.browser import AXE, need

    need(AXE.exists(), f"axe-core is not installed ({AXE} missing: run npm ci)")
    script = AXE.read_text(encoding="utf-8")
    problems = {}
    for name, path in new_pages(publication).items():
        open_page(browser, publication["url"] + path)
        browser.execute_script(script)
        result = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));"
        )
        assert isinstance(result, list), result
        bad = [f"{v['id']}: {v['help']}" for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            problems[name] = bad
    assert problems == {}


def test_nu_html_checker_finds_no_error_on_the_new_pages(publication, tmp_path):
    import json
    import shutil
    import subprocess
    import urllib.request
    from pathlib import Path

    from claims.tests.browser import VNU, need

    java = shutil.which("java")
    need(java is not None, "Java is not installed (apt-get install default-jre-headless)")
    need(VNU.exists(), f"vnu-jar is not installed ({VNU} missing: run npm ci)")
    files = []
    for name, path in new_pages(publication).items():
        request = urllib.request.Request(publication["url"] + path, headers={"Accept-Language": "ja"})
        with urllib.request.urlopen(request) as response:
            (tmp_path / f"{name}.html").write_bytes(response.read())
        files.append(str(tmp_path / f"{name}.html"))
    result = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=240,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    assert [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}" for m in messages] == []


@pytest.fixture
def phone():
    from claims.tests.browser import start_browser

    driver = start_browser(width=390, height=844)
    yield driver
    driver.quit()


def test_a_badge_near_the_bottom_of_a_phone_screen_opens_its_popover_where_it_is_seen(phone, publication):
    from selenium.webdriver.common.by import By

    open_page(phone, publication["url"] + "/")
    badge = phone.find_element(By.CSS_SELECTOR, f"#claim-{publication['claim'].pk} + .badge")
    # Scroll so that the badge sits just above the bottom edge of the screen (with room around the
    # essay, as in a long one), then tap it.
    phone.execute_script("document.body.style.padding = '2000px 0';")
    phone.execute_script(
        "const r = arguments[0].getBoundingClientRect();window.scrollBy(0, r.bottom - window.innerHeight + 12);",
        badge,
    )
    badge_bottom, screen = phone.execute_script(
        "return [arguments[0].getBoundingClientRect().bottom, window.innerHeight];", badge
    )
    assert screen - 80 < badge_bottom <= screen, (badge_bottom, screen)  # the case being tested
    badge.click()
    popover = phone.find_element(By.ID, badge.get_attribute("aria-controls"))
    wait_for(phone, lambda d: popover.is_displayed())
    top, bottom, height = phone.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom, window.innerHeight];", popover
    )
    assert top >= 0 and bottom <= height, (top, bottom, height)


def test_on_a_phone_the_summary_card_leaves_room_for_the_essay(phone, publication):
    from selenium.webdriver.common.by import By

    open_page(phone, publication["url"] + "/")
    card = phone.find_element(By.CSS_SELECTOR, ".claim-summary")
    height, screen = phone.execute_script(
        "return [arguments[0].getBoundingClientRect().height, window.innerHeight];", card
    )
    assert height < screen / 2, (height, screen)
    assert not phone.find_element(By.CSS_SELECTOR, ".legend-meaning").is_displayed()


def test_on_a_phone_the_filter_form_leaves_room_for_the_claims(phone, publication):
    from selenium.webdriver.common.by import By

    open_page(phone, publication["url"] + "/claims/")
    form = phone.find_element(By.CSS_SELECTOR, "form.filters")
    bottom, screen = phone.execute_script(
        "return [arguments[0].getBoundingClientRect().bottom, window.innerHeight];", form
    )
    assert bottom < screen * 0.6, (bottom, screen)
