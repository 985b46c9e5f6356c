"""Cached public pages: never stale after an edit, on one app server or several; 304 on repeat visits."""

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from claims.tests.factories import claim_for, edit, make_article, settle_revision
from claims.tests.factories import reader_visible_edits as edits
from claims.tests.sampledata import make_sample_article

pytestmark = pytest.mark.django_db
FUJI = "富士山は日本一高い山です。"


def server(name):
    """An app server with a cache of its own (LocMemCache is per process, as on separate hosts)."""
    return override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name}}
    )


@pytest.fixture
def home_claim():
    cache.clear()
    article = make_article(slug="hundred-model-war")
    return claim_for(article, FUJI)


def page(client, claim):
    return client.get("/").content.decode()


def test_a_repeat_request_is_served_from_the_cache(client, home_claim, django_assert_num_queries):
    first = client.get("/")
    with django_assert_num_queries(1):  # the content revision, nothing else
        second = client.get("/")
    assert second.content == first.content


def test_a_stored_page_carries_every_header_of_the_rendered_one(client, home_claim):
    """The stored copy is served before the middleware that adds the policy, language and framing."""
    settle_revision()
    first = client.get("/")
    second = client.get("/")
    assert dict(second.headers) == dict(first.headers)
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Language", "ETag", "Last-Modified"):
        assert header in second.headers, header
    assert "Cookie" in second["Vary"] and "must-revalidate" in second["Cache-Control"]


def test_head_of_a_stored_page_has_its_headers_and_no_body(client, home_claim):
    page = client.get("/")
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == page["ETag"] and head["Content-Type"] == page["Content-Type"]


def test_each_search_is_cached_apart(client, home_claim):
    claim_for(home_claim.article, "東京は日本の首都です。")
    assert "東京は日本の首都です。" in client.get("/claims/?q=首都").content.decode()
    found = client.get("/claims/?q=富士山").content.decode()
    assert FUJI in found and "東京は日本の首都です。" not in found


def test_a_signed_in_editor_gets_the_readers_page_and_keeps_the_admin_fresh(client, home_claim, admin_user):
    reader_page = client.get("/").content
    client.force_login(admin_user)
    assert client.get("/").content == reader_page
    assert "sessionid" not in client.get("/").cookies  # nothing about the editor's session is stored
    edit(home_claim, verdict_note="管理画面で見える新しいメモ")
    change_page = client.get(reverse("admin:claims_claim_change", args=[home_claim.pk])).content.decode()
    assert "管理画面で見える新しいメモ" in change_page


def test_every_kind_of_edit_shows_on_the_next_request(client, home_claim):
    for name, make_edit, url, visible in edits(home_claim):
        if url is None:
            continue
        assert visible not in client.get(url).content.decode(), name  # cached before the edit
        make_edit()
        assert visible in client.get(url).content.decode(), name


def test_several_app_servers_never_serve_a_stale_page(client, home_claim):
    edit(home_claim, verdict_note="古い判定メモ")
    with server("a"):
        assert "古い判定メモ" in page(client, home_claim)
    with server("b"):
        assert "古い判定メモ" in page(client, home_claim)
    edit(home_claim, verdict_note="新しい判定メモ")  # an editor saves through app server "b"
    for name in ("a", "b"):
        with server(name):
            body = page(client, home_claim)
            assert "新しい判定メモ" in body and "古い判定メモ" not in body, name


def test_repeat_visit_gets_304_until_something_changes(client, home_claim):
    settle_revision()
    response = client.get("/")
    etag, modified = response["ETag"], response["Last-Modified"]
    assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/", HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    edit(home_claim, verdict_note="変更")
    assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_languages_are_cached_apart(client, home_claim):
    japanese = client.get("/")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/")
    assert japanese["Content-Language"] == "ja" and english["Content-Language"] == "en"
    assert japanese["ETag"] != english["ETag"]


@pytest.mark.parametrize("size", [10, 100, 1000])
def test_public_pages_run_a_fixed_number_of_queries(client, size, django_assert_max_num_queries):
    article = make_sample_article(size)
    claim = article.claims.first()
    tag = claim.tags.first()
    for url, most in [
        (article.get_absolute_url(), 4),
        (reverse("claims:claim", args=[claim.pk]), 6),
        # The list's filter choices (tags, sections, the scale's ratings) on a cold cache.
        (reverse("claims:claim_list"), 8),
        # A search on PostgreSQL runs under its own statement timeout: a savepoint, SET LOCAL, release.
        (reverse("claims:claim_list") + "?q=首都&status=verified", 11 if connection.vendor == "postgresql" else 8),
        (reverse("claims:tag", args=[tag.slug]), 7),
    ]:
        cache.clear()
        with django_assert_max_num_queries(most):
            response = client.get(url)
        assert response.status_code == 200, url


def test_browsers_that_accept_gzip_get_the_page_compressed_from_the_cache(client, home_claim):
    import gzip

    plain = client.get("/")
    compressed = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    again = client.get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert compressed["Content-Encoding"] == "gzip" and "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content) / 3
    assert again.content == compressed.content  # stored compressed, not compressed again
    assert client.get("/").content == plain.content  # and the plain copy stays plain
    assert client.get("/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=compressed["ETag"]).status_code == 304


def test_after_a_deploy_pages_are_rendered_by_the_new_code(client, home_claim, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.caching import pages as caching

    before = client.get("/")
    monkeypatch.setattr(caching, "code_release", lambda: "the-next-release")
    with CaptureQueriesContext(connection) as rendered:
        after = client.get("/")
    assert len(rendered) > 1  # rendered afresh, not the copy the old code stored
    assert after["ETag"] != before["ETag"]
    assert client.get("/", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


def test_the_code_release_changes_with_a_template_and_ignores_tests(settings, tmp_path):
    from claims.caching import pages as caching

    settings.BASE_DIR = tmp_path
    (tmp_path / "templates").mkdir()
    (tmp_path / "claims" / "tests").mkdir(parents=True)
    template = tmp_path / "templates" / "base.html"
    template.write_text("<html>")
    first = caching.code_release.__wrapped__()
    (tmp_path / "claims" / "tests" / "test_new.py").write_text("def test(): pass")
    assert caching.code_release.__wrapped__() == first
    template.write_text("<html lang=ja>")
    assert caching.code_release.__wrapped__() != first


def another_worker(action, after=0.2):
    """Something another app server does a moment later, in a thread of its own."""
    import threading

    worker = threading.Timer(after, action)
    worker.start()
    return worker


def test_while_another_worker_renders_a_page_requests_wait_for_its_copy(client, home_claim, django_assert_num_queries):
    from claims.caching import pages as caching

    rendered = client.get("/")
    key = next(key for key in caching.local_pages.pages)
    caching.local_pages.pages.clear()
    cache.delete(key)
    cache.add(f"render:{key}", 1)  # another worker has just started rendering the page
    page = (rendered.content.replace("富士山".encode(), "別の作業者".encode()), list(rendered.items()))

    def store_and_release():
        cache.set(key, page)
        cache.delete(f"render:{key}")

    worker = another_worker(store_and_release)
    with django_assert_num_queries(1):  # the revision; the page is not rendered a second time
        waited = client.get("/")
    worker.join()
    assert "別の作業者" in waited.content.decode()


def test_a_page_the_other_worker_did_not_store_is_rendered_without_waiting_it_out(client, home_claim, monkeypatch):
    from django.test import RequestFactory

    from claims.caching import pages as caching

    monkeypatch.setattr(caching, "RENDER_WAIT", 60)
    lock = f"render:{caching.page_key(RequestFactory().get('/articles/no-such-article/'), 'ja')}"
    cache.add(lock, 1)  # another worker is answering the same missing page
    worker = another_worker(lambda: cache.delete(lock))  # it answers 404, and stores nothing
    started = time.monotonic()
    response = client.get("/articles/no-such-article/")
    worker.join()
    assert response.status_code == 404
    assert time.monotonic() - started < 30  # released when the other worker was done, not after 60 s
