"""Screenshots for the README and docs/: the article page (desktop and phone), and with
``--publication`` the list of articles, a shared link's card, the phone's summary card and (given
an editor's account) the admin's claim list at 1366 px.

Needs a running site with the essay loaded, Chromium and ChromeDriver (apt-get install chromium
chromium-driver) and, for Japanese text, a CJK font (apt-get install fonts-noto-cjk):

    .venv/bin/python manage.py load_essay
    .venv/bin/python manage.py runserver 127.0.0.1:8010 &
    .venv/bin/python bench/screenshots.py http://127.0.0.1:8010
    .venv/bin/python bench/screenshots.py http://127.0.0.1:8010 --publication --admin admin:PASSWORD
"""

import argparse
import html
import time
import urllib.parse
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


CARD = """<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>card</title><style>
body {{ margin: 0; padding: 24px; background: #e9edf2; font-family: "Noto Sans CJK JP", sans-serif; }}
.card {{ width: 520px; border-radius: 14px; overflow: hidden; background: #fff; box-shadow: 0 2px 10px #0002; }}
.card div {{ padding: 14px 18px; }} .site {{ color: #667; font-size: 13px; }}
.title {{ font-weight: 700; font-size: 17px; margin: 4px 0; color: #111; }}
.desc {{ color: #333; font-size: 14px; line-height: 1.5; }} .url {{ color: #889; font-size: 12px; margin-top: 6px; }}
</style></head><body><div class="card"><div><p class="site">{site}</p><p class="title">{title}</p>
<p class="desc">{description}</p><p class="url">{url}</p></div></div></body></html>"""


def shoot_card(url, target):
    """A shared link's card, drawn from the page's own Open Graph tags (as LINE or X would)."""
    driver = browser(width=600, height=260)
    try:
        driver.get(url)
        time.sleep(0.5)

        def meta(prop):
            found = driver.find_elements(By.CSS_SELECTOR, f'meta[property="{prop}"]')
            return html.escape(found[0].get_attribute("content")) if found else ""

        card = CARD.format(
            site=meta("og:site_name"), title=meta("og:title"), description=meta("og:description"), url=meta("og:url")
        )
        driver.get("data:text/html;charset=utf-8," + urllib.parse.quote(card))
        time.sleep(0.3)
        driver.save_screenshot(str(target))
        print(f"wrote {target}")
    finally:
        driver.quit()


def shoot_admin_list(base, target, account):
    """The admin's claim list as an editor triages it, at 1366 px."""
    username, _, password = account.partition(":")
    driver = browser(width=1366, height=900)
    try:
        driver.get(base + "/admin/login/?next=/admin/claims/claim/")
        driver.find_element(By.NAME, "username").send_keys(username)
        driver.find_element(By.NAME, "password").send_keys(password)
        driver.find_element(By.CSS_SELECTOR, "input[type=submit], button[type=submit]").click()
        time.sleep(1)
        driver.save_screenshot(str(target))
        print(f"wrote {target}")
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000", help="the running site")
    parser.add_argument("--out", default=str(DOCS), help="folder for the PNG files")
    parser.add_argument("--dark", action="store_true", help="also take dark-mode shots (*-dark.png)")
    parser.add_argument("--publication", action="store_true", help="also the article list, a card, the phone summary")
    parser.add_argument("--admin", metavar="USER:PASSWORD", help="an editor's account, for the admin's claim list")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    home = args.url.rstrip("/") + "/"
    shoot(home, out / "screenshot-desktop.png", width=1280, height=1600, badge="disputed")
    shoot(home, out / "screenshot-phone.png", width=390, height=844, phone=True, badge="disputed")
    if args.publication:
        base = args.url.rstrip("/")
        shoot(base + "/articles/", out / "screenshot-articles.png", width=1280, height=900)
        shoot_card(home, out / "screenshot-card.png")
        shoot(home, out / "screenshot-phone-summary.png", width=390, height=844, phone=True)
    if args.admin:
        shoot_admin_list(args.url.rstrip("/"), out / "screenshot-admin-claims.png", args.admin)
    if args.dark:
        shoot(home, out / "screenshot-desktop-dark.png", width=1280, height=1600, dark=True, badge="outdated")
        shoot(home, out / "screenshot-phone-dark.png", width=390, height=844, phone=True, dark=True, badge="outdated")


if __name__ == "__main__":
    main()
