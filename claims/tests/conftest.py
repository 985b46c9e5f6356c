"""Fixtures shared by the test modules: an article, a claim on it and the editors' roles.

Users are built with the roles function (claims.tests.factories.make_user calls it), never taken
from what a migration left behind, so the tests pass in any order (pytest-randomly shuffles them).
"""

import pytest
from django.utils import translation

from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import claim_for, make_article, make_user

FUJI = "富士山は日本一高い山です。"


@pytest.fixture
def article(db):
    """A published article (slug test-article, as csv_row names it), a claim on each statement."""
    return make_article()


@pytest.fixture
def article_without_claims(db):
    """The same article before its statements were claimed (an import or a rating test adds them)."""
    return make_article(claims=False)


@pytest.fixture
def home_article(db):
    """A published article the home page shows (its slug is settings.HOME_ARTICLE_SLUG)."""
    return make_article(slug="hundred-model-war")


@pytest.fixture
def claim(article):
    """The pending claim on the Fuji sentence."""
    return claim_for(article, FUJI)


@pytest.fixture
def home(db):
    """The first claim of the essay's article (slug hundred-model-war: the home page shows it)."""
    return make_article(slug="hundred-model-war").claims.first()


@pytest.fixture
def editor(db):
    return make_user("hanako", groups=[EDITORS])


@pytest.fixture
def chief(db):
    return make_user("taro", groups=[CHIEF_EDITORS])


@pytest.fixture
def signed_in_editor(client, editor):
    """The editor, signed in on the test client."""
    client.force_login(editor)
    return editor


@pytest.fixture
def signed_in_chief(client, chief):
    """The chief editor, signed in on the test client."""
    client.force_login(chief)
    return chief


@pytest.fixture
def english():
    """Messages read in English (modules that assert the rules' wording use it; the Japanese
    catalogue is checked by the admin's language tests)."""
    with translation.override("en"):
        yield


@pytest.fixture
def second_chief(db):
    """Another chief editor, for the two-person sign-off."""
    return make_user("jiro", groups=[CHIEF_EDITORS])


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for a module's browser tests (claims/tests/browser/ starts it)."""
    from claims.tests.browser import start_browser

    driver = start_browser()
    yield driver
    driver.quit()
