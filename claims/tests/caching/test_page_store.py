"""What the page store keeps (claims/caching/pages.py): one page per canonical address whatever the
query string or Host header, cache errors read as misses, gzip only when asked for, and stored pages
that outlive a database outage.
"""

import socket
from unittest import mock

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse
from taggit.models import Tag

from claims.caching import revision
from claims.tests.factories import (
    database_down,
    edit,
    make_article,
    settle_revision,
)

pytestmark = pytest.mark.django_db


def reader():
    return Client(raise_request_exception=False)


# Query strings: only canonical pages are stored


def stored_pages():
    return sorted(key for key in cache._cache if ":page:" in key)  # the tests' LocMemCache


def test_a_thousand_query_strings_store_no_page_beyond_the_canonical_ones(home):
    client = reader()
    for path in ("/", "/claims/", reverse("claims:claim", args=[home.pk]), "/feed/", "/sitemap.xml"):
        canonical = client.get(path)
        assert canonical.status_code == 200
        before = stored_pages()
        for i in range(250):
            response = client.get(f"{path}?x={i}&utm_source=z{i}&page=1&focus=no{i}")
            assert response.status_code == 200
            assert response.content == canonical.content, path
        assert stored_pages() == before, path


def test_searches_and_invalid_filters_are_answered_but_not_stored(home, settings):
    settings.CLAIMS_SEARCHES_PER_MINUTE = "1000/minute"  # the rate limit is test_search.py's
    client = reader()
    client.get("/claims/")
    before = stored_pages()
    for i in range(50):
        assert client.get(f"/claims/?q=word{i}").status_code == 200
        assert client.get(f"/claims/?tag=no-such-tag-{i}").status_code == 200
        assert client.get(f"/claims/?status=nonsense{i}&section=x{i}").status_code == 200
    assert stored_pages() == before


def test_a_claim_page_has_one_entry_whatever_the_spelling_of_its_number(home):
    client = reader()
    client.get(f"/claims/{home.pk}/")
    before = stored_pages()
    for spelling in (f"0{home.pk}", f"00{home.pk}", f"000{home.pk}"):
        assert client.get(f"/claims/{spelling}/").status_code == 200
    assert stored_pages() == before


def test_filters_still_filter(home):
    other = home.article.claims.exclude(pk=home.pk).first()
    edit(home, tags=["地理"])
    tag = Tag.objects.get(name="地理")
    page = reader().get(f"/claims/?tag={tag.slug}&junk=1").content.decode()
    assert home.statement in page and other.statement not in page


def redis_is_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_db3(settings):
    if not redis_is_up():
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "claims.caching.backend.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
            "KEY_PREFIX": "hm-page-store-test",
        }
    }
    yield caches["default"]
    caches["default"].clear()


def out_of_memory(*args, **kwargs):
    import redis

    raise redis.exceptions.OutOfMemoryError("command not allowed when used memory > 'maxmemory'.")


def test_a_full_redis_fails_open_and_health_says_so(redis_db3, home, caplog):
    import redis

    client = reader()
    with (
        mock.patch.object(redis.Redis, "set", side_effect=out_of_memory),
        mock.patch.object(redis.Redis, "eval", side_effect=out_of_memory),
    ):
        for path in ("/", "/claims/", f"/claims/{home.pk}/", "/feed/", "/sitemap.xml"):
            assert client.get(path).status_code == 200, path
        health = client.get("/health/")
    assert health.status_code == 200
    assert health.json()["cache"] == "failing"
    assert "OutOfMemoryError" in caplog.text
    assert client.get("/health/").json()["cache"] == "ok"


def test_any_cache_error_is_a_miss(redis_db3):
    import redis

    with mock.patch.object(redis.Redis, "get", side_effect=redis.exceptions.ResponseError("WRONGTYPE")):
        assert redis_db3.get("anything", "fallback") == "fallback"
    assert not redis_db3.is_down  # an error answer does not turn the cache off
    redis_db3.set("key", "value")
    assert redis_db3.get("key") == "value"


# The Host header and X-Forwarded-Proto never reach a stored page


def test_a_stored_page_is_never_served_for_a_host_that_is_not_allowed(home):
    client = reader()
    assert client.get("/").status_code == 200
    for path in ("/", "/feed/", "/sitemap.xml", "/claims/"):
        response = client.get(path, HTTP_HOST="evil.example")
        assert response.status_code == 400, path


def test_an_odd_host_or_scheme_leaves_later_readers_pages_untouched(home, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = reader()
    claim_page = reverse("claims:claim", args=[home.pk])
    edit(home, verdict_note="新しい判定")
    for path in ("/feed/", "/sitemap.xml", claim_page, "/"):
        client.get(path, HTTP_HOST="127.0.0.1:31337")
        client.get(path, HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
        page = client.get(path).content.decode()
        assert "31337" not in page and "https://localhost" not in page, path
        assert "127.0.0.1" not in page, path


# Compression and revalidation


@pytest.mark.parametrize("header", ["gzip;q=0", "gzip; q=0.0, identity", "*;q=0", "identity", ""])
def test_gzip_refused_by_the_client_is_not_sent(home, header):
    client = reader()
    for _ in range(2):  # rendered, then stored
        response = client.get("/", HTTP_ACCEPT_ENCODING=header)
        assert response.status_code == 200
        assert response.get("Content-Encoding") != "gzip"


@pytest.mark.parametrize("header", ["gzip", "gzip;q=0.5, br", "deflate, gzip;q=1"])
def test_gzip_accepted_by_the_client_is_sent(home, header):
    response = reader().get("/", HTTP_ACCEPT_ENCODING=header)
    assert response.get("Content-Encoding") == "gzip"


def test_date_only_revalidation_sees_two_edits_in_one_second(home):
    client = reader()
    edit(home, verdict_note="一度目")
    first = client.get("/")
    if "Last-Modified" in first:  # only once the edit's second is over
        edit(home, verdict_note="二度目")
        again = client.get("/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert again.status_code == 200 and "二度目" in again.content.decode()
    settle_revision()
    settled = client.get("/")
    assert "Last-Modified" in settled
    assert client.get("/", HTTP_IF_MODIFIED_SINCE=settled["Last-Modified"]).status_code == 304


# A sick database: stored pages outlive the revision's short-lived key


@pytest.mark.django_db(transaction=True)
def test_with_the_database_down_stored_pages_outlive_the_revisions_short_key(redis_db3):
    make_article(slug="hundred-model-war")
    client = reader()
    page = client.get("/")
    assert page.status_code == 200
    cache.delete(revision.SHARED_REVISION_KEY)  # its 10 s are over
    revision.unpublish(["all", "article-hundred-model-war"])  # the home page's scopes' too
    with database_down():
        cached = client.get("/")
        uncached = client.get("/claims/?page=2")
        health = client.get("/health/")
    assert cached.status_code == 200 and cached.content == page.content
    assert uncached.status_code in (503, 404) and uncached.status_code != 500
    assert health.status_code == 503 and health.json()["database"] == "down"
    assert client.get("/claims/").status_code == 200  # back at once


@pytest.mark.django_db(transaction=True)
def test_without_a_published_revision_a_database_outage_is_a_fast_503(redis_db3):
    make_article(slug="hundred-model-war")
    client = reader()
    client.get("/")
    cache.delete(revision.SHARED_REVISION_KEY)
    cache.delete(revision.LAST_KNOWN_KEY)
    revision.unpublish(["all", "article-hundred-model-war"], last_known=True)
    with database_down():
        response = client.get("/")
    assert response.status_code == 503 and response["Retry-After"]
