"""The page cache's budget (claims/caching/pages.py, revision.py, docs/operations.md): anonymous
visitors cannot fill the shared cache with valid URLs. A filter naming nothing and a page out of
range are 404s (never stored), a URL naming no claim writes no revision key, and /health/ says
when the cache answers but keeps nothing."""

import pytest
import redis
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client

from claims.caching.pages import local_pages
from claims.tests.factories import make_article, make_status

pytestmark = pytest.mark.django_db

REDIS_TEST_URL = "redis://127.0.0.1:6379/11"


class RefusingCache(LocMemCache):
    """Answers, keeps nothing (Redis full under ``maxmemory``, or read-only)."""

    def add(self, key, value, timeout=None, version=None):
        return False

    def set(self, key, value, timeout=None, version=None):
        return None


@pytest.fixture
def verified_claim(claim):
    return make_status(claim, "verified", note="確認。")


@pytest.fixture
def shared_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "claims.caching.backend.ResilientRedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": "budget-test",
        }
    }
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    yield client
    client.flushdb()


def reader():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    "query",
    [
        "?article=made-up",
        "?article=draft",
        "?claim=999999",
        "?claim=abc",
        "?claim=99999999999999999999999",
        "?page=99",
        "?page=abc",
        "?page=0",
    ],
)
def test_a_corrections_filter_naming_nothing_or_a_page_out_of_range_is_a_404_never_stored(verified_claim, query):
    make_article(slug="draft", published=False)
    local_pages.pages.clear()
    assert reader().get(f"/corrections/{query}").status_code == 404
    assert not local_pages.pages


def test_corrections_filters_that_name_something_are_stored(verified_claim):
    local_pages.pages.clear()
    for query in ("", f"?claim={verified_claim.pk}", "?article=test-article", "?page=1"):
        assert reader().get(f"/corrections/{query}").status_code == 200, query
    assert len(local_pages.pages) == 3  # ?page=1 is the first page's own key


def test_a_claim_page_for_a_missing_claim_writes_no_key_to_the_shared_cache(verified_claim, shared_redis):
    for pk in (999999, 999998, verified_claim.pk):
        reader().get(f"/claims/{pk}/")
    keys = [key.decode() for key in shared_redis.keys("*")]
    assert not [key for key in keys if "claim-99999" in key], keys
    assert [key for key in keys if f"claim-{verified_claim.pk}" in key]  # the real claim's revision is published


def test_health_reports_a_cache_that_refuses_writes(settings):
    settings.CACHES = {"default": {"BACKEND": "claims.tests.caching.test_budget.RefusingCache"}}
    response = reader().get("/health/")
    assert response.status_code == 200
    assert response.json()["cache"] == "failing"


def test_the_claims_lists_filter_choices_are_kept_until_an_edit_changes_them(verified_claim):
    import lxml.html

    from claims.tests.factories import edit

    def tag_choices():
        page = lxml.html.fromstring(reader().get("/claims/", {"q": "富士山"}).content)
        return [option.text_content() for option in page.cssselect("#id_tag option")][1:]

    assert tag_choices() == []
    edit(verified_claim, tags=["地理"])
    assert tag_choices() == ["地理"]
