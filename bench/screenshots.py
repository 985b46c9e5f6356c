"""Screenshots of the article page for the README: docs/screenshot-desktop.png and docs/screenshot-phone.png.

Needs a running site with the essay loaded, Chromium and ChromeDriver (apt-get install chromium
chromium-driver) and, for Japanese text, a CJK font (apt-get install fonts-noto-cjk):

    .venv/bin/python manage.py load_essay
    .venv/bin/python manage.py runserver 127.0.0.1:8010 &
    .venv/bin/python bench/screenshots.py http://127.0.0.1:8010
"""

import argparse
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

DOCS = Path(__file__).resolve().parent.parent / "docs"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def browser(*, width, height, phone=False, dark=False):
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ARGS:
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ja"})
    if phone:
        metrics = {"width": width, "height": height, "pixelRatio": 2, "touch": True, "mobile": True}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    if not phone:
        # The window's own size includes browser chrome: set the page's viewport exactly.
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    if dark:
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
        )
    return driver


def open_badge(driver, status, height, *, scroll=False):
    """Open the first badge of this status whose popover fits whole in the screenshot.

    With ``scroll``, the page scrolls to put the badge near the top first (phones).
    """
    for button in driver.find_elements(By.CSS_SELECTOR, f".essay-body button.badge-{status}"):
        if scroll:
            driver.execute_script("window.scrollBy(0, arguments[0].getBoundingClientRect().top - 150)", button)
            time.sleep(0.2)
        top = driver.execute_script("return arguments[0].getBoundingClientRect().top", button)
        if top <= 0 or top > height - 200:
            continue
        button.click()
        popover = driver.find_element(By.ID, button.get_attribute("aria-controls"))
        if driver.execute_script("return arguments[0].getBoundingClientRect().bottom", popover) < height - 16:
            return True
        button.click()
    return False


def shoot(url, target, *, width, height, phone=False, dark=False, badge=None):
    driver = browser(width=width, height=height, phone=phone, dark=dark)
    try:
        driver.get(url)
        time.sleep(0.5)
        if badge:
            statuses = (badge, "disputed", "outdated", "verified")
            any(open_badge(driver, status, height, scroll=phone) for status in statuses)
            time.sleep(0.2)
        driver.save_screenshot(str(target))
        print(f"wrote {target}")
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000", help="the running site")
    parser.add_argument("--out", default=str(DOCS), help="folder for the PNG files")
    parser.add_argument("--dark", action="store_true", help="also take dark-mode shots (*-dark.png)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    home = args.url.rstrip("/") + "/"
    shoot(home, out / "screenshot-desktop.png", width=1280, height=1600, badge="disputed")
    shoot(home, out / "screenshot-phone.png", width=390, height=844, phone=True, badge="disputed")
    if args.dark:
        shoot(home, out / "screenshot-desktop-dark.png", width=1280, height=1600, dark=True, badge="outdated")
        shoot(home, out / "screenshot-phone-dark.png", width=390, height=844, phone=True, dark=True, badge="outdated")


if __name__ == "__main__":
    main()
