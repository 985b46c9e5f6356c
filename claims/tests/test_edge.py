"""The edge: what a shared cache is told (Cache-Control, a strong ETag, surrogate keys), and the
purge of what a committed change touched, through the outbox, against a fake Varnish on 127.0.0.1
(claims/caching/edge.py)."""

import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from taggit.models import Tag

from claims.caching import edge
from claims.caching.revision import SCOPE_KEY
from claims.models import EdgePurge
from claims.tests.factories import claim_for, closed_port, edit, make_article

FUJI = "富士山は日本一高い山です。"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")

pytestmark = pytest.mark.django_db


class FakeVarnish:
    """A tiny HTTP server that answers PURGE as deploy/varnish.vcl does, and remembers each."""

    def __init__(self):
        self.purged = []
        self.status = 200
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self):
                fake.purged.append(self.headers.get("xkey-purge", "").split())
                self.send_response(fake.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def varnish(settings):
    fake = FakeVarnish()
    settings.EDGE_PURGE_BACKEND = "varnish"
    settings.EDGE_PURGE_URLS = [fake.url]
    settings.EDGE_PURGE_TIMEOUT = 2.0
    yield fake
    fake.close()


@pytest.fixture
def article():
    return make_article(slug="article-a")


@pytest.fixture
def claim(article):
    claim = claim_for(article, FUJI)
    edit(claim, tags=["地理"])
    return claim


def keys_of(response):
    assert response["Surrogate-Key"] == response["xkey"]
    return set(response["Surrogate-Key"].split())


# ---------------------------------------------------------------------------------------------
# What a shared cache is told


def test_a_page_tells_browsers_to_revalidate_and_shared_caches_to_keep_it(client, claim, varnish):
    response = client.get("/articles/article-a/")
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"public", "max-age=0", "must-revalidate", "s-maxage=86400"} <= directives
    assert client.get("/articles/article-a/")["Cache-Control"] == response["Cache-Control"]  # the stored copy


def test_without_an_edge_to_purge_no_shared_cache_keeps_a_page(client, claim, settings):
    settings.EDGE_PURGE_BACKEND = ""
    assert "s-maxage=0" in client.get("/articles/article-a/")["Cache-Control"]


def test_the_etag_is_strong_and_names_each_encoding_apart(client, claim):
    plain = client.get("/articles/article-a/")
    packed = client.get("/articles/article-a/", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    for response in (plain, packed):
        assert response["ETag"].startswith('"'), response["ETag"]
    assert plain["ETag"] != packed["ETag"]
    again = client.get("/articles/article-a/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304


def test_the_surrogate_keys_name_every_article_claim_and_tag_on_the_page(client, claim, article, varnish):
    tag = Tag.objects.get(name="地理")
    public = {f"claim-{pk}" for pk in article.claims.public().values_list("pk", flat=True)}
    article_keys = keys_of(client.get("/articles/article-a/"))
    assert {"all", "article-article-a"} | public <= article_keys
    claim_keys = keys_of(client.get(reverse("claims:claim", args=[claim.pk])))
    assert {"all", f"claim-{claim.pk}", "article-article-a", f"tag-{tag.pk}"} <= claim_keys
    index_keys = keys_of(client.get("/claims/"))
    assert {"all", "index", f"claim-{claim.pk}", "article-article-a", f"tag-{tag.pk}"} <= index_keys
    assert {"all", "index"} <= keys_of(client.get(reverse("claims:tag", args=[tag.slug])))
    for url in ("/feed/", "/sitemap.xml", "/articles/"):
        assert {"all", "index"} <= keys_of(client.get(url)), url


def test_a_draft_previewed_by_staff_is_kept_by_no_cache(client, admin_user):
    make_article(slug="draft", published=False)
    client.force_login(admin_user)
    response = client.get("/articles/draft/")
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert "s-maxage" not in response["Cache-Control"] and "Surrogate-Key" not in response


# ---------------------------------------------------------------------------------------------
# Purging what a change touched


def test_a_committed_change_purges_the_keys_it_touched(claim, varnish, django_capture_on_commit_callbacks):
    tag = Tag.objects.get(name="地理")
    with django_capture_on_commit_callbacks(execute=True):
        edit(claim, verdict_note="新しい判定メモ")
    assert varnish.purged == [sorted(["index", "article-article-a", f"claim-{claim.pk}", f"tag-{tag.pk}"])]
    row = EdgePurge.objects.get()
    assert row.sent_at is not None and row.attempts == 1


def test_a_change_rolled_back_purges_nothing(claim, varnish, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        edit(claim, verdict_note="取り消される判定メモ")
        raise RuntimeError("the save fails")
    assert varnish.purged == [] and not EdgePurge.objects.exists()


def test_a_purge_the_edge_refused_stays_pending_and_the_next_commit_sends_it(
    claim, varnish, django_capture_on_commit_callbacks
):
    varnish.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        edit(claim, verdict_note="一つ目")
    row = EdgePurge.objects.get()
    assert row.sent_at is None and row.attempts == 1 and "503" in row.last_error
    varnish.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        edit(claim, verdict_note="二つ目")
    assert not EdgePurge.objects.filter(sent_at__isnull=True).exists()
    assert len(varnish.purged) == 3  # the refused one, the new one, the refused one again


def test_a_crash_between_the_commit_and_the_purge_loses_no_purge(claim, varnish, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the process dies before its on-commit work
        edit(claim, verdict_note="落ちる前の保存")
    assert varnish.purged == [] and EdgePurge.objects.get().sent_at is None
    call_command("purge_edge")
    assert varnish.purged == [sorted(EdgePurge.objects.get().keys)]
    assert EdgePurge.objects.get().sent_at is not None


def test_with_the_edge_down_the_command_fails_and_keeps_the_purge(claim, settings, django_capture_on_commit_callbacks):
    settings.EDGE_PURGE_BACKEND = "varnish"
    settings.EDGE_PURGE_URLS = [f"http://127.0.0.1:{closed_port()}/"]
    with django_capture_on_commit_callbacks(execute=True):
        edit(claim, verdict_note="エッジ停止中")
    with pytest.raises(SystemExit):
        call_command("purge_edge")
    row = EdgePurge.objects.get()
    assert row.sent_at is None and row.attempts == 2 and row.last_error


def test_no_outbox_row_without_an_edge(claim, settings, django_capture_on_commit_callbacks):
    settings.EDGE_PURGE_BACKEND = ""
    with django_capture_on_commit_callbacks(execute=True):
        edit(claim, verdict_note="エッジなし")
    assert not EdgePurge.objects.exists()


# ---------------------------------------------------------------------------------------------
# With the shared Redis: the purge comes after the publication, and a warm page reads it once


@pytest.fixture
def shared_redis():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError as error:
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required (REQUIRE_REDIS=1) but {REDIS_URL} does not answer: {error}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    location = {
        "default": {
            "BACKEND": "claims.caching.backend.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=location):
        yield cache


@pytest.mark.django_db(transaction=True)
def test_an_edge_that_fetches_at_the_purge_gets_the_new_page(shared_redis, settings):
    claim = claim_for(make_article(slug="article-a"), FUJI)
    url = reverse("claims:claim", args=[claim.pk])
    reader = Client()
    reader.get(url)
    seen = []

    def fetch_at_purge(keys, timeout):  # what Varnish does next: fetch the page again
        seen.append(reader.get(url).content.decode())

    settings.EDGE_PURGE_BACKEND = "varnish"
    edge.BACKENDS["varnish"], real = fetch_at_purge, edge.BACKENDS["varnish"]
    try:
        edit(claim, verdict_note="パージ直後に見える判定メモ")
    finally:
        edge.BACKENDS["varnish"] = real
    assert len(seen) == 1 and "パージ直後に見える判定メモ" in seen[0]


@pytest.mark.django_db(transaction=True)
def test_a_warm_page_reads_its_scopes_in_one_redis_round_trip(shared_redis, django_assert_num_queries):
    make_article(slug="article-a")
    reader = Client()
    reader.get("/articles/article-a/")
    assert shared_redis.get_revision(SCOPE_KEY + "article-article-a") is not None
    calls = []
    real = shared_redis.get_revisions
    shared_redis.get_revisions = lambda keys: calls.append(keys) or real(keys)
    try:
        with django_assert_num_queries(0):
            assert reader.get("/articles/article-a/").status_code == 200
    finally:
        del shared_redis.get_revisions
    assert calls == [[SCOPE_KEY + "all", SCOPE_KEY + "article-article-a"]]


def test_after_a_restore_the_command_purges_every_page(varnish):
    call_command("purge_edge", "--all")
    assert varnish.purged == [["all"]]
