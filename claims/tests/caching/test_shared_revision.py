"""App servers sharing a Redis cache read the content revision from it: still never a stale page.

These tests talk to the Redis of the machine (database 13, keys under a prefix of their own). They
are skipped when no Redis answers, unless REQUIRE_REDIS=1 (CI sets it), which makes that a failure.
"""

import os
import time
import uuid
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from claims.caching import revision as freshness
from claims.caching.pages import local_pages
from claims.tests.factories import claim_for, closed_port, database_down, edit, make_article
from claims.tests.factories import reader_visible_edits as edits

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")

FUJI = "富士山は日本一高い山です。"

pytestmark = pytest.mark.django_db(transaction=True)  # the revision is published when a commit happens


def redis_cache(location):
    return {
        "default": {
            "BACKEND": "claims.caching.backend.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def shared_redis():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError as error:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required (REQUIRE_REDIS=1) but {REDIS_URL} does not answer: {error}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    with override_settings(CACHES=redis_cache(REDIS_URL)):
        yield cache


@pytest.fixture
def home_claim(shared_redis, home_article):
    """The claim on the home page; its article is written with the shared Redis as the cache."""
    return claim_for(home_article, FUJI)


servers = {}


@contextmanager
def server(name):
    """An app server: a process of its own (its own copy of recent pages) on the shared Redis."""
    saved = local_pages.pages
    local_pages.pages = servers.setdefault(name, type(saved)())
    try:
        yield
    finally:
        local_pages.pages = saved


@pytest.fixture(autouse=True)
def forget_servers():
    servers.clear()


def test_a_warm_page_needs_no_database_at_all(client, home_claim, django_assert_num_queries):
    first = client.get("/")
    with django_assert_num_queries(0):
        second = client.get("/")
    assert second.content == first.content and second["ETag"] == first["ETag"]


def test_every_kind_of_edit_shows_on_the_next_request_on_every_server(client, home_claim):
    for name, make_edit, url, visible in edits(home_claim):
        for each in ("a", "b"):
            with server(each):
                assert visible not in client.get(url).content.decode(), (name, each)
        with server("b"):
            make_edit()  # an editor saves through app server "b"
        for each in ("a", "b"):
            with server(each):
                assert visible in client.get(url).content.decode(), (name, each)


def test_an_edit_rolled_back_changes_no_page(client, home_claim):
    before = client.get("/")
    with pytest.raises(RuntimeError), transaction.atomic():
        edit(home_claim, verdict_note="取り消される判定メモ")
        raise RuntimeError("the editor's save fails")
    after = client.get("/")
    assert after["ETag"] == before["ETag"] and "取り消される判定メモ" not in after.content.decode()


HOME_SCOPES = ["all", "article-hundred-model-war"]  # what the home page is keyed by


def test_a_reader_that_read_before_a_commit_cannot_bring_the_old_page_back(client, home_claim):
    client.get("/")
    freshness.unpublish(HOME_SCOPES)  # the keys have just expired...
    late_reader = freshness.database_scopes(HOME_SCOPES)  # ...a reader reads the database...
    edit(home_claim, verdict_note="直前に保存された判定メモ")  # ...an editor commits and publishes...
    freshness.publish_scopes(late_reader)  # ...and the reader's older revisions arrive last.
    assert "直前に保存された判定メモ" in client.get("/").content.decode()


def test_a_lost_revision_key_is_filled_again_from_the_database(client, home_claim):
    client.get("/")
    freshness.unpublish(HOME_SCOPES)  # Redis restarted or evicted the keys
    edit(home_claim, verdict_note="再起動後の判定メモ")
    assert "再起動後の判定メモ" in client.get("/").content.decode()
    stored = cache.get_revisions([freshness.SCOPE_KEY + scope for scope in HOME_SCOPES])
    assert stored == [label for _number, label in freshness.database_scopes(HOME_SCOPES).values()]


def test_a_publication_lost_to_a_redis_fault_is_seen_once_the_key_expires(client, home_claim, monkeypatch):
    monkeypatch.setattr(freshness, "SHARED_REVISION_TIMEOUT", 1)
    freshness.unpublish(HOME_SCOPES)
    client.get("/")  # the revisions are read from the database and kept in Redis for a second
    real_offer = cache.offer_revisions
    cache.offer_revisions = lambda *args: 0
    try:
        edit(home_claim, verdict_note="届かなかった判定メモ")  # committed, but Redis did not take the new revisions
    finally:
        cache.offer_revisions = real_offer
    assert "届かなかった判定メモ" not in client.get("/").content.decode()  # the bounded window
    time.sleep(1.2)
    assert "届かなかった判定メモ" in client.get("/").content.decode()


def test_with_redis_down_pages_come_fresh_from_the_database(client):
    with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{closed_port()}/0")):
        claim = claim_for(make_article(slug="hundred-model-war"), FUJI)
        client.get("/")
        edit(claim, verdict_note="Redis停止中の判定メモ")
        response = client.get("/")
    assert response.status_code == 200 and "Redis停止中の判定メモ" in response.content.decode()


def test_with_the_database_down_cached_pages_are_still_served(client, home_claim):
    page = client.get("/")
    with database_down():
        cached = client.get("/")
        uncached = client.get("/claims/")
    assert cached.status_code == 200 and cached.content == page.content
    assert uncached.status_code == 503


def test_a_warm_page_reads_no_revision_from_redis_until_one_changes(client, home_claim):
    import redis

    client.get("/")
    client.get("/")  # the revisions read once, then held while Redis says nothing changed
    with mock.patch.object(redis.Redis, "mget", side_effect=AssertionError("a round trip to Redis")):
        page = client.get("/")
    assert page.status_code == 200
    edit(home_claim, verdict_note="追跡していた判定メモ")
    assert "追跡していた判定メモ" in client.get("/").content.decode()


def test_a_revision_written_by_another_connection_is_seen_on_the_next_read(shared_redis):
    import redis

    from claims.caching.backend import TrackedRevisions

    key = f"test-tracked-{uuid.uuid4().hex}"
    other = redis.Redis.from_url(REDIS_URL)
    other.set(key, "1:1", px=10_000)
    tracked = TrackedRevisions(REDIS_URL, {"socket_timeout": 0.5}, retry_after=5)
    assert tracked.get([key]) == [b"1:1"]
    for value in ("2:2", "3:3"):
        other.set(key, value, px=10_000)  # the writer's answer: the news is on our socket already
        assert tracked.get([key]) == [value.encode()]
    other.delete(key)
    assert tracked.get([key]) == [None]


def test_a_lost_connection_forgets_every_tracked_revision(shared_redis):
    import redis

    from claims.caching.backend import TrackedRevisions

    key = f"test-tracked-{uuid.uuid4().hex}"
    other = redis.Redis.from_url(REDIS_URL)
    other.set(key, "1:1", px=10_000)
    tracked = TrackedRevisions(REDIS_URL, {"socket_timeout": 0.5}, retry_after=0)
    assert tracked.get([key]) == [b"1:1"]
    listener = next(c for c in other.client_list() if c.get("name") == tracked.name)
    other.client_kill_filter(_id=listener["id"])  # the news of changes no longer reaches this process
    other.set(key, "2:2", px=10_000)
    assert tracked.get([key]) is None  # tracking off: the caller reads Redis itself
    assert tracked.values == {}, tracked.values
    assert tracked.get([key]) == [b"2:2"]  # and tracks again on a new pair of connections
