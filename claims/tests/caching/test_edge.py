"""The edge: what a shared cache is told (Cache-Control, a strong ETag, surrogate keys in each
edge's header), and the purge of what a committed change touched, through the outbox, sent twice,
against fake Varnish, Fastly and Cloudflare endpoints on 127.0.0.1 (claims/caching/edge.py)."""

import datetime
import json
import os
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from claims.caching import edge, revision
from claims.caching.pages import local_pages
from claims.caching.revision import SCOPE_KEY
from claims.models import EdgePurge
from claims.tests.factories import claim_for, closed_port, edit, make_article

FUJI = "富士山は日本一高い山です。"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")

pytestmark = pytest.mark.django_db


class FakeEdge:
    """A tiny HTTP server that answers PURGE as deploy/varnish.vcl does (and remembers the keys of
    each in ``purged``), and POST as Fastly's and Cloudflare's purge APIs do (each request in
    ``requests``: method, path, headers, JSON body)."""

    def __init__(self):
        self.purged = []
        self.requests = []
        self.status = 200
        self.answer = {"success": True, "errors": [], "messages": [], "result": {"id": "purge"}}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self):
                fake.purged.append(self.headers.get("xkey-purge", "").split())
                self.send_response(fake.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append(("POST", self.path, dict(self.headers), body))
                payload = json.dumps(fake.answer).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

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
    fake = FakeEdge()
    settings.EDGE_PURGE_BACKEND = "varnish"
    settings.EDGE_PURGE_URLS = [fake.url]
    settings.EDGE_PURGE_TIMEOUT = 2.0
    yield fake
    fake.close()


@pytest.fixture
def article_a():
    return make_article(slug="article-a")


@pytest.fixture
def tagged_claim(article_a):
    claim = claim_for(article_a, FUJI)
    edit(claim, tags=["地理"])
    return claim


@pytest.fixture
def fastly(settings):
    fake = FakeEdge()
    settings.EDGE_PURGE_BACKEND = "fastly"
    settings.EDGE_FASTLY_API = fake.url.rstrip("/")
    settings.EDGE_FASTLY_SERVICE = "SU1Z0isxPaozGVKXdv0eY"
    settings.EDGE_FASTLY_TOKEN = "fastly-test-token"
    yield fake
    fake.close()


@pytest.fixture
def cloudflare(settings):
    fake = FakeEdge()
    settings.EDGE_PURGE_BACKEND = "cloudflare"
    settings.EDGE_CLOUDFLARE_API = fake.url.rstrip("/")
    settings.EDGE_CLOUDFLARE_ZONE = "023e105f4ecef8ad9ca31a8372d0c353"
    settings.EDGE_CLOUDFLARE_TOKEN = "cloudflare-test-token"
    yield fake
    fake.close()


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() from here on is now() + clock.offset (a timedelta the test moves on)."""

    class Clock:
        offset = datetime.timedelta(0)

    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() + Clock.offset)
    return Clock


def keys_of(response):
    """The keys Varnish reads (xkey); no other edge's header reaches it."""
    assert "Surrogate-Key" not in response and "Cache-Tag" not in response
    return set(response["xkey"].split())


# ---------------------------------------------------------------------------------------------
# What a shared cache is told


def test_a_page_tells_browsers_to_revalidate_and_shared_caches_to_keep_it(client, tagged_claim, varnish):
    response = client.get("/articles/article-a/")
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"public", "max-age=0", "must-revalidate", "s-maxage=86400"} <= directives
    assert client.get("/articles/article-a/")["Cache-Control"] == response["Cache-Control"]  # the stored copy


def test_without_an_edge_to_purge_no_shared_cache_keeps_a_page(client, tagged_claim, settings):
    settings.EDGE_PURGE_BACKEND = ""
    assert "s-maxage=0" in client.get("/articles/article-a/")["Cache-Control"]


def test_the_etag_is_strong_and_names_each_encoding_apart(client, tagged_claim):
    plain = client.get("/articles/article-a/")
    packed = client.get("/articles/article-a/", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    for response in (plain, packed):
        assert response["ETag"].startswith('"'), response["ETag"]
    assert plain["ETag"] != packed["ETag"]
    again = client.get("/articles/article-a/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304


def test_the_surrogate_keys_name_every_article_claim_and_tag_on_the_page(client, tagged_claim, article_a, varnish):
    tag = Tag.objects.get(name="地理")
    public = {f"claim-{pk}" for pk in article_a.claims.public().values_list("pk", flat=True)}
    article_keys = keys_of(client.get("/articles/article-a/"))
    assert {"all", "article-article-a"} | public <= article_keys
    claim_keys = keys_of(client.get(reverse("claims:claim", args=[tagged_claim.pk])))
    assert {"all", f"claim-{tagged_claim.pk}", "article-article-a", f"tag-{tag.pk}"} <= claim_keys
    index_keys = keys_of(client.get("/claims/"))
    assert {"all", "index", f"claim-{tagged_claim.pk}", "article-article-a", f"tag-{tag.pk}"} <= index_keys
    assert {"all", "index"} <= keys_of(client.get(reverse("claims:tag", args=[tag.slug])))
    for url in ("/feed/", "/sitemap.xml", "/articles/"):
        assert {"all", "index"} <= keys_of(client.get(url)), url


def test_a_draft_previewed_by_staff_is_kept_by_no_cache(client, admin_user, varnish):
    make_article(slug="draft", published=False)
    client.force_login(admin_user)
    response = client.get("/articles/draft/")
    assert response.status_code == 200 and "private" in response["Cache-Control"]
    assert "s-maxage" not in response["Cache-Control"] and "xkey" not in response


def test_fastly_reads_space_separated_surrogate_keys_and_cloudflare_comma_separated_cache_tags(
    client, tagged_claim, settings
):
    def page_for(backend):  # a process configured for that edge (its stored pages are its own)
        settings.EDGE_PURGE_BACKEND = backend
        cache.clear()
        local_pages.pages.clear()
        return client.get("/articles/article-a/")

    page = page_for("fastly")
    keys = page["Surrogate-Key"].split(" ")
    assert keys[:2] == ["all", "article-article-a"] and f"claim-{tagged_claim.pk}" in keys
    assert "xkey" not in page and "Cache-Tag" not in page
    page = page_for("cloudflare")
    assert page["Cache-Tag"] == ",".join(keys) and " " not in page["Cache-Tag"]
    assert "xkey" not in page and "Surrogate-Key" not in page
    page = page_for("")
    assert not {"xkey", "Surrogate-Key", "Cache-Tag"} & set(page.headers)  # no edge reads them


@pytest.mark.parametrize("backend, separator", [("fastly", " "), ("cloudflare", ",")])
def test_keys_past_16_kb_are_left_out_whole_and_the_scopes_come_first(settings, backend, separator):
    # Fastly applies only the keys entirely within the first 16,384 bytes; Cloudflare refuses a
    # Cache-Tag longer than 16 KB. A page is keyed by its scopes: they must be among those read.
    settings.EDGE_PURGE_BACKEND = backend
    shown = {f"claim-{pk}" for pk in range(1, 3001)} | {"tag-1", "index"}
    response = edge.add_edge_headers(HttpResponse(), ["article-a-long-article"], shown)
    value = response[edge.KEY_HEADERS[backend].name]
    assert len(value.encode()) <= 16384
    keys = value.split(separator)
    assert keys[:2] == ["all", "article-a-long-article"]
    assert all(re.fullmatch(r"claim-\d+|index|tag-1", key) for key in keys[2:])
    assert len(keys) > 1500


# ---------------------------------------------------------------------------------------------
# Purging what a change touched


def test_a_committed_change_purges_the_keys_it_touched(tagged_claim, varnish, django_capture_on_commit_callbacks):
    tag = Tag.objects.get(name="地理")
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="新しい判定メモ")
    assert varnish.purged == [sorted(["index", "article-article-a", f"claim-{tagged_claim.pk}", f"tag-{tag.pk}"])]
    row = EdgePurge.objects.get()
    assert row.attempts == 1 and row.repeat_at is not None and row.sent_at is None  # sent once, again later


def test_an_edits_purge_reaches_its_articles_api_answers_and_none_of_another_articles(
    client, tagged_claim, article_a, varnish, django_capture_on_commit_callbacks
):
    other = make_article(slug="article-b", title="別の記事")

    def api_keys(shown):
        pk = claim_for(shown, FUJI).pk
        urls = [f"/annotations/{shown.slug}/", f"/api/v1/articles/{shown.slug}", f"/api/v1/claims/{pk}"]
        return {url: keys_of(client.get(url)) - {"all"} for url in urls}

    a_answers, b_answers = api_keys(article_a), api_keys(other)
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="APIにも届く判定メモ")
    purged = set(varnish.purged[0])  # the edit's own purge (then the rows the setup left pending)
    assert all(keys & purged for keys in a_answers.values()), a_answers
    assert not any(keys & purged for keys in b_answers.values()), b_answers


def test_a_change_rolled_back_purges_nothing(tagged_claim, varnish, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        edit(tagged_claim, verdict_note="取り消される判定メモ")
        raise RuntimeError("the save fails")
    assert varnish.purged == [] and not EdgePurge.objects.exists()


def test_a_purge_the_edge_refused_stays_pending_and_the_next_commit_sends_it(
    tagged_claim, varnish, django_capture_on_commit_callbacks
):
    varnish.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="一つ目")
    row = EdgePurge.objects.get()
    assert row.sent_at is None and row.attempts == 1 and "503" in row.last_error
    varnish.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="二つ目")
    assert not EdgePurge.objects.filter(repeat_at__isnull=True).exists()  # each sent once (twice later)
    assert len(varnish.purged) == 3  # the refused one, the new one, the refused one again


def test_a_crash_between_the_commit_and_the_purge_loses_no_purge(
    tagged_claim, varnish, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the process dies before its on-commit work
        edit(tagged_claim, verdict_note="落ちる前の保存")
    assert varnish.purged == [] and EdgePurge.objects.get().sent_at is None
    call_command("purge_edge")
    assert varnish.purged == [sorted(EdgePurge.objects.get().keys)]
    assert EdgePurge.objects.get().repeat_at is not None


def test_with_the_edge_down_the_command_fails_and_keeps_the_purge(
    tagged_claim, settings, django_capture_on_commit_callbacks
):
    settings.EDGE_PURGE_BACKEND = "varnish"
    settings.EDGE_PURGE_URLS = [f"http://127.0.0.1:{closed_port()}/"]
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="エッジ停止中")
    with pytest.raises(SystemExit):
        call_command("purge_edge")
    row = EdgePurge.objects.get()
    assert row.sent_at is None and row.attempts == 2 and row.last_error


def test_every_purge_is_sent_again_once_no_app_server_can_serve_the_old_page(
    tagged_claim, varnish, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="二度パージされる判定メモ")
    keys = sorted(EdgePurge.objects.get().keys)
    assert varnish.purged == [keys]
    clock.offset = edge.REPEAT_AFTER - datetime.timedelta(seconds=1)  # Redis may still hold the old revision
    call_command("purge_edge")
    assert varnish.purged == [keys]
    clock.offset = edge.REPEAT_AFTER + datetime.timedelta(seconds=1)
    call_command("purge_edge")
    assert varnish.purged == [keys, keys]
    assert EdgePurge.objects.get().sent_at is not None
    clock.offset = edge.REPEAT_AFTER * 10
    call_command("purge_edge")
    assert varnish.purged == [keys, keys]  # done: never a third time
    assert datetime.timedelta(seconds=revision.SHARED_REVISION_TIMEOUT) < edge.REPEAT_AFTER


def test_the_next_commit_sends_the_second_purges_that_are_due(
    tagged_claim, article_a, varnish, clock, django_capture_on_commit_callbacks
):
    other = claim_for(article_a, "東京は日本の首都です。")
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="一つ目の保存")
    first = sorted(EdgePurge.objects.get().keys)
    clock.offset = edge.REPEAT_AFTER + datetime.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        edit(other, verdict_note="二つ目の保存")
    second = sorted(EdgePurge.objects.latest("pk").keys)
    assert varnish.purged == [first, second, first]  # its own purge, then the first change's second one
    done, waiting = EdgePurge.objects.order_by("pk")
    assert done.sent_at is not None and waiting.sent_at is None


def test_a_refused_second_purge_stays_pending_until_the_edge_takes_it(
    tagged_claim, varnish, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="二度目が断られる")
    clock.offset = edge.REPEAT_AFTER + datetime.timedelta(seconds=1)
    varnish.status = 503
    with pytest.raises(SystemExit):
        call_command("purge_edge")
    row = EdgePurge.objects.get()
    assert row.sent_at is None and row.attempts == 2 and "503" in row.last_error
    varnish.status = 200
    call_command("purge_edge")
    row = EdgePurge.objects.get()
    assert row.sent_at is not None and row.last_error == "" and len(varnish.purged) == 3


def test_no_outbox_row_without_an_edge(tagged_claim, settings, django_capture_on_commit_callbacks):
    settings.EDGE_PURGE_BACKEND = ""
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="エッジなし")
    assert not EdgePurge.objects.exists()


def test_fastly_is_purged_by_surrogate_key_through_its_api(tagged_claim, fastly, django_capture_on_commit_callbacks):
    tag = Tag.objects.get(name="地理")
    with django_capture_on_commit_callbacks(execute=True):
        edit(tagged_claim, verdict_note="Fastly に伝わる判定メモ")
    [(method, path, headers, body)] = fastly.requests
    assert (method, path, body) == ("POST", "/service/SU1Z0isxPaozGVKXdv0eY/purge", None)
    assert headers["Fastly-Key"] == "fastly-test-token"
    assert headers["Surrogate-Key"] == " ".join(
        sorted(["index", "article-article-a", f"claim-{tagged_claim.pk}", f"tag-{tag.pk}"])
    )


def test_cloudflare_is_purged_by_tag_at_most_30_a_request(cloudflare):
    row = EdgePurge.objects.create(keys=["index", *(f"claim-{pk}" for pk in range(1, 65))])
    assert edge.send_pending() == (1, 0)
    paths = {path for _m, path, _h, _b in cloudflare.requests}
    assert paths == {"/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache"}
    assert [len(body["tags"]) for _m, _p, _h, body in cloudflare.requests] == [30, 30, 5]
    assert [tag for *_rest, body in cloudflare.requests for tag in body["tags"]] == row.keys
    headers = cloudflare.requests[0][2]
    assert headers["Authorization"] == "Bearer cloudflare-test-token" and headers["Content-Type"] == "application/json"


def test_a_purge_cloudflare_answers_unsuccessful_stays_pending(cloudflare):
    cloudflare.answer = {"success": False, "errors": [{"code": 1134, "message": "Unauthorized"}]}
    EdgePurge.objects.create(keys=["index"])
    assert edge.send_pending() == (0, 1)
    row = EdgePurge.objects.get()
    assert row.repeat_at is None and row.sent_at is None and "Unauthorized" in row.last_error


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
def test_when_redis_refused_the_new_revision_the_second_purge_gives_the_edge_the_new_page(
    shared_redis, settings, monkeypatch
):
    claim = claim_for(make_article(slug="article-a"), FUJI)
    url = reverse("claims:claim", args=[claim.pk])
    reader = Client()
    reader.get(url)  # its scopes' revisions are in Redis now, for SHARED_REVISION_TIMEOUT seconds
    seen = []

    def fetch_at_purge(keys, timeout):  # what Varnish does next: fetch the page again
        seen.append(reader.get(url).content.decode())

    settings.EDGE_PURGE_BACKEND = "varnish"
    monkeypatch.setitem(edge.BACKENDS, "varnish", fetch_at_purge)
    publish = revision.publish_scopes
    monkeypatch.setattr(revision, "publish_scopes", lambda rows: None)  # Redis refuses the publication
    edit(claim, verdict_note="Redis が受け取らなかった判定メモ")
    assert len(seen) == 1 and "Redis が受け取らなかった判定メモ" not in seen[0]  # the edge keeps the old page
    monkeypatch.setattr(revision, "publish_scopes", publish)
    revision.unpublish([f"claim-{claim.pk}"])  # the old revision's key expires
    assert edge.send_pending(now=timezone.now() + edge.REPEAT_AFTER) == (1, 0)
    assert len(seen) == 2 and "Redis が受け取らなかった判定メモ" in seen[1]


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
