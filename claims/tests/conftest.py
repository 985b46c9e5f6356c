import pytest


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a module's browser tests (claims/tests/test_browser.py starts it)."""
    from claims.tests.browser import start_browser

    driver = start_browser()
    yield driver
    driver.quit()
