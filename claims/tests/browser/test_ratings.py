"""Ratings, named reviewers and 運営者情報 in a real Chromium (issue 23): a rated badge at 390 px,
and axe and the Nu checker on /method/, /about/ and a rated claim's page.

Uses the ``browser`` fixture of conftest.py; skipped without Chromium unless REQUIRE_BROWSER=1.
"""

import pytest

from claims.tests.browser import open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rated(live_server):
    from claims import services
    from claims.models import Claim, EditorProfile, Evidence
    from claims.tests.factories import add_evidence, claim_for, make_article, make_scales, make_user, rating

    make_scales()
    home = make_article(slug="hundred-model-war", title="AI百モデル大戦", lead="2023年の競争。")
    claim = claim_for(home, "東京は日本の首都です。")
    add_evidence(claim, stance=Evidence.Stance.REFUTES, url="https://www.example.org/law", title="法令")
    editor = make_user("hanako")
    EditorProfile.objects.create(user=editor, display_name="山田花子", role="編集者")
    services.claim_change_status(
        claim=claim,
        to=Claim.Status.DISPUTED,
        via="admin",
        user=editor,
        verdict_note="首都を定める法律はなく、文脈が欠けている。",
        rating=rating("misleading"),
    )
    return {"url": live_server.url, "claim": claim}


@pytest.fixture
def phone():
    from claims.tests.browser import start_browser

    driver = start_browser(width=390, height=844)
    yield driver
    driver.quit()


def test_a_rated_badge_is_readable_on_a_390_px_phone(phone, rated):
    from selenium.webdriver.common.by import By

    open_page(phone, rated["url"] + "/")
    badge = phone.find_element(By.CSS_SELECTOR, f"#claim-{rated['claim'].pk} + .badge")
    rating = badge.find_element(By.CSS_SELECTOR, ".badge-rating")
    assert "ミスリード" in rating.text
    size, right, lines, width = phone.execute_script(
        "const e = arguments[0], r = e.getBoundingClientRect();"
        "const line = parseFloat(getComputedStyle(e).lineHeight) || parseFloat(getComputedStyle(e).fontSize) * 1.6;"
        "return [parseFloat(getComputedStyle(e).fontSize), r.right, Math.round(r.height / line),"
        " document.documentElement.clientWidth];",
        rating,
    )
    assert size >= 12, size  # as large as body text's small print, not a footnote
    assert right <= width, (right, width)  # never past the screen's edge
    assert lines <= 1, lines  # the label is not broken across lines


def test_axe_finds_no_serious_violation_on_method_about_and_a_rated_claim(browser, rated):
    from claims.tests.browser import AXE, need

    need(AXE.exists(), f"axe-core is not installed ({AXE} missing: run npm ci)")
    script = AXE.read_text(encoding="utf-8")
    problems = {}
    for path in ("/method/", "/about/", rated["claim"].get_absolute_url(), "/"):
        open_page(browser, rated["url"] + path)
        browser.execute_script(script)
        result = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));"
        )
        assert isinstance(result, list), result
        bad = [f"{v['id']}: {v['help']}" for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            problems[path] = bad
    assert problems == {}


def test_nu_html_checker_finds_no_error_on_method_about_and_a_rated_claim(rated, tmp_path):
    import json
    import shutil
    import subprocess
    import urllib.request

    from claims.tests.browser import VNU, need

    java = shutil.which("java")
    need(java is not None, "Java is not installed (apt-get install default-jre-headless)")
    need(VNU.exists(), f"vnu-jar is not installed ({VNU} missing: run npm ci)")
    files = []
    for name, path in (("method", "/method/"), ("about", "/about/"), ("claim", rated["claim"].get_absolute_url())):
        request = urllib.request.Request(rated["url"] + path, headers={"Accept-Language": "ja"})
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
    assert [f"{m.get('url', '').rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m.get('message')}" for m in messages] == []
