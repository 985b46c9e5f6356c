"""Headless Chromium for the browser tests: starting it, opening a page, waiting for a condition.

Without Chromium, ChromeDriver, Java or the npm packages the browser tests are skipped with the
reason, unless REQUIRE_BROWSER=1 (CI), when they fail instead.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ROOT = Path(settings.BASE_DIR)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
REQUIRED = os.environ.get("REQUIRE_BROWSER") == "1"
WAIT = 10

BODY = (
    "## 首都と山\n\n"
    "東京は日本の首都です。富士山は日本一高い山です。琵琶湖は日本一大きな湖です。\n\n"
    "2023年には百を超えるモデルが発表されました。最後の文です。\n\n"
    "## 次の章\n\n"
    "この章にも文があります。\n"
)


def need(condition, reason):
    """Skip without the tool; fail when the environment promises it (REQUIRE_BROWSER=1)."""
    if condition:
        return
    if REQUIRED:
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def chrome_options(*, javascript=True, width=1280, height=900):
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = CHROMIUM
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={width},{height}",
    ]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A Japanese reader's browser: Accept-Language: ja (headless Chromium ignores --lang).
    prefs = {"intl.accept_languages": "ja"}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    if width < 500:
        # A desktop window is at least 500 px wide: a phone is emulated instead.
        metrics = {"width": width, "height": height, "pixelRatio": 3, "touch": True, "mobile": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    return options


def start_browser(**kwargs):
    need(Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    need(
        Path(CHROMEDRIVER).exists(),
        f"ChromeDriver is not installed at {CHROMEDRIVER} (apt-get install chromium-driver)",
    )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need(False, "selenium is not installed (pip install -r requirements.txt)")
    # An explicit driver path: Selenium Manager never tries to download anything.
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=chrome_options(**kwargs))


def wait_for(driver, condition):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def open_page(driver, url):
    driver.delete_all_cookies()
    # Reading the console log empties it: what an earlier test's pages logged (a 404 it visited on
    # purpose, in whatever order the tests run) is not this page's.
    driver.get_log("browser")
    driver.get(url)
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def loaded(driver):
    return driver.execute_script("return document.readyState") == "complete"


def admin_log_in(driver, base, username, password):
    """Sign in to the admin through its login form, as a person does."""
    from django.urls import reverse
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(base + reverse("admin:login"))
    wait_for(driver, loaded)
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit], button[type=submit]").click()
    wait_for(driver, lambda d: "/admin/login/" not in d.current_url and loaded(d))
