"""Issue 16: hostile readers and careless editors, one test per point that broke.

Every entry point is driven as a user would drive it; every answer is asserted as a page
(``Client(raise_request_exception=False)``): refused with a named reason, or stored and
rendered inert, never a 500, nothing half-written.
"""

import contextlib
import io
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import hypothesis
import pytest
from django.core.cache import cache, caches
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from taggit.models import Tag

from claims import linkcheck
from claims.caching import revision
from claims.csv import format as csvformat
from claims.csv import importing
from claims.models import Claim, StatusChange
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import (
    add_evidence,
    csv_bytes,
    csv_row,
    database_down,
    database_state,
    edit,
    make_article,
    make_user,
    page_data,
    settle_revision,
)
from claims.validators import validate_visible_text
from hundredmodels import settings as settings_module

pytestmark = pytest.mark.django_db

PUNCTUATION_TAGS = ["!!!", "「？？？」", "...", "-", "＿"]


def reader():
    return Client(raise_request_exception=False)


def public_pages(claim):
    return ["/claims/", "/claims/?q=東京", reverse("claims:claim", args=[claim.pk]), claim.article.get_absolute_url()]


# 1. Punctuation-only tags


@pytest.mark.parametrize("name", PUNCTUATION_TAGS)
def test_punctuation_tag_from_the_write_path_gets_a_usable_slug(name):
    article = make_article()
    claim = article.claims.first()
    edit(claim, tags=[name])
    tag = Tag.objects.get(name=name)
    assert tag.slug.strip("-_")
    client = reader()
    for url in public_pages(claim):
        response = client.get(url)
        assert response.status_code == 200, url
    tag_page = client.get(reverse("claims:tag", args=[tag.slug]))
    assert tag_page.status_code == 200
    assert name in tag_page.content.decode()


def test_two_punctuation_tags_get_two_slugs():
    claim = make_article().claims.first()
    edit(claim, tags=["!!!", "？？？"])
    slugs = set(Tag.objects.values_list("slug", flat=True))
    assert len(slugs) == 2 and all(slug.strip("-_") for slug in slugs)


def test_punctuation_tag_from_a_csv_import_gets_a_usable_slug():
    article = make_article()
    claim = article.claims.first()
    data = csv_bytes([csv_row(id=claim.pk, statement=claim.statement, tags="!!!、「？？？」")])
    report = importing.import_bytes(data)
    assert report.ok, [str(e) for e in report.errors]
    assert Tag.objects.filter(slug="").count() == 0
    assert Tag.objects.filter(name__in=["!!!", "「？？？」"]).count() == 2
    for url in public_pages(claim):
        assert reader().get(url).status_code == 200, url


def test_punctuation_tag_from_the_tag_admin_gets_a_usable_slug():
    client = Client(raise_request_exception=False)
    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    response = client.post(reverse("admin:taggit_tag_add"), {"name": "!!!", "slug": ""})
    if response.status_code == 302:
        assert Tag.objects.get(name="!!!").slug.strip("-_")
    else:  # refused with the field's reason, never a 500
        assert response.status_code == 200
        assert response.context["adminform"].form.errors


def test_a_tag_stored_with_an_empty_slug_does_not_break_any_page():
    claim = make_article().claims.first()
    edit(claim, tags=["!!!"])
    Tag.objects.filter(name="!!!").update(slug="")  # as stored before the fix
    for url in public_pages(claim):
        response = reader().get(url)
        assert response.status_code == 200, url
        assert "!!!" in response.content.decode() or url != "/claims/"


# 2. Any query string was a new cached page


def stored_pages():
    return sorted(key for key in cache._cache if ":page:" in key)  # the tests' LocMemCache


@pytest.fixture
def home():
    article = make_article(slug="hundred-model-war")
    return article.claims.first()


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
            "KEY_PREFIX": "hm-hostile-test",
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


# 3. The Host header and X-Forwarded-Proto poisoned stored pages


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


# 4. History notes, and characters that show nothing

HIDDEN = {
    "U+202E": "\u202e",
    "U+200B": "\u200b",
    "U+2060": "\u2060",
    "U+061C": "\u061c",
    "U+3164": "\u3164",
    "U+00AD": "\u00ad",
    "U+FEFF": "\ufeff",
    "U+0007": "\x07",
    "U+2028": "\u2028",
}


@pytest.mark.parametrize("code", HIDDEN)
def test_the_validator_names_every_invisible_character(code):
    with pytest.raises(Exception) as refused:
        validate_visible_text(f"確認した{HIDDEN[code]}。")
    assert refused.value.code == "hidden_characters"
    assert code in " ".join(refused.value.messages)


@pytest.mark.parametrize("text", ["普通の文。", "tab\tand\r\nlines", "👨‍👩‍👧 家族", "\u200e左から右"])
def test_the_validator_lets_ordinary_text_through(text):
    validate_visible_text(text)


@pytest.fixture
def editor_client():
    client = Client(raise_request_exception=False)
    client.force_login(make_user("editor", groups=[EDITORS]))
    return client


@pytest.mark.parametrize("code", ["U+202E", "U+200B", "U+0007"])
def test_the_claim_forms_history_note_refuses_hidden_characters(editor_client, code):
    claim = make_article().claims.first()
    add_evidence(claim)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = page_data(editor_client.get(url))
    before = database_state()
    data.update(status=Claim.Status.VERIFIED, status_note=f"出典で確認{HIDDEN[code]}した。")
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert code in str(response.context["adminform"].form.errors["status_note"])
    assert database_state() == before


@pytest.mark.parametrize("code", ["U+202E", "U+200B", "U+0007"])
def test_the_bulk_actions_history_note_refuses_hidden_characters(editor_client, code):
    claim = make_article().claims.first()
    add_evidence(claim)
    changelist = reverse("admin:claims_claim_changelist")
    assert editor_client.get(changelist).status_code == 200
    chosen = {"action": "change_status_action", "_selected_action": [str(claim.pk)], "index": "0"}
    assert editor_client.post(changelist, chosen).status_code == 200
    before = database_state()
    response = editor_client.post(
        changelist,
        {**chosen, "status": Claim.Status.VERIFIED, "note": f"一括{HIDDEN[code]}", "apply": "1"},
    )
    assert response.status_code == 200
    assert code in response.content.decode()
    assert database_state() == before


def test_the_feed_and_the_claim_page_survive_any_stored_history_note(home):
    add_evidence(home)
    edit(home, status=Claim.Status.VERIFIED)
    hostile = "".join(HIDDEN.values()) + "\x01\x1b[31m\uffff<b>太字</b>"  # no NUL: PostgreSQL refuses it in text itself
    StatusChange.objects.filter(claim=home).update(note=hostile)  # stored before the validator
    client = reader()
    feed = client.get("/feed/")
    assert feed.status_code == 200
    import xml.etree.ElementTree as ET

    ET.fromstring(feed.content)
    page = client.get(reverse("claims:claim", args=[home.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    for char in HIDDEN.values():
        assert char not in text
    assert "<b>太字</b>" not in text and "&lt;b&gt;太字&lt;/b&gt;" in text


# 9. Fail-open defaults: compression, revalidation


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


# 5. check_links fetched internal addresses


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.seen.append(self.path)
        route = self.server.routes.get(self.path.split("?")[0], (404, {}))
        if route == "trickle":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(40):  # one header byte every 0.1 s: 4 s of headers
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(0.1)
            return
        code, headers = route
        self.send_response(code, "Secret internal reason db-7.internal")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def http_server(address="127.0.0.1", routes=None):
    server = ThreadingHTTPServer((address, 0), _Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, client: None
    server.seen, server.routes = [], routes or {}
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def server_url(server, path):
    return f"http://{server.server_address[0]}:{server.server_address[1]}{path}"


@pytest.fixture
def no_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


INTERNAL_URLS = [
    "http://127.0.0.1:{port}/ok",
    "http://localhost:{port}/ok",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:{port}/ok",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://0.0.0.0:{port}/ok",
    "http://[::ffff:127.0.0.1]:{port}/ok",
    "http://240.0.0.1/",
    "http://[fe80::1]/",
]


@pytest.mark.parametrize("template", INTERNAL_URLS)
def test_check_links_never_connects_to_an_internal_address(no_proxy, template):
    with http_server(routes={"/ok": (200, {})}) as server:
        url = template.format(port=server.server_address[1])
        with mock.patch("socket.socket.connect", side_effect=AssertionError("connected")) as connect:
            result = linkcheck.fetch(url, timeout=2)
        connect.assert_not_called()
        assert server.seen == []
    assert result.refused_host and not result.ok
    assert linkcheck.problem_text(
        result
    ) == "確認していません: 非公開、ローカル、または予約済みのアドレスへのリンクです" or (
        "169.254" not in linkcheck.problem_text(result)
    )


def test_check_links_refuses_a_redirect_to_an_internal_address(no_proxy, settings):
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the "public" server of this test
    with http_server(address="127.0.0.2", routes={"/secret": (200, {})}) as internal:
        target = server_url(internal, "/secret?token=abc")
        with http_server(routes={"/go": (301, {"Location": target})}) as public:
            claim = make_article().claims.first()
            evidence = add_evidence(claim, url=server_url(public, "/go"))
            linkcheck.evidence_check_links(timeout=2, delay=0)
        assert public.seen == ["/go"]
        assert internal.seen == []
    evidence.refresh_from_db()
    assert "127.0.0.2" not in evidence.link_error and "token" not in evidence.link_error
    assert evidence.link_status != "ok"


def test_check_links_stores_the_standard_reason_not_the_servers(no_proxy, settings):
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with http_server(routes={"/gone": (404, {})}) as server:
        claim = make_article().claims.first()
        evidence = add_evidence(claim, url=server_url(server, "/gone"))
        linkcheck.evidence_check_links(timeout=2, delay=0)
    evidence.refresh_from_db()
    assert "Not Found" in evidence.link_error
    assert "Secret" not in evidence.link_error and "internal" not in evidence.link_error


def test_check_links_has_one_deadline_per_request_not_per_read(no_proxy, settings):
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with http_server(routes={"/trickle": "trickle"}) as server:
        started = time.monotonic()
        result = linkcheck.fetch(server_url(server, "/trickle"), timeout=1.0)
        elapsed = time.monotonic() - started
    assert result.timed_out_after == 1.0 and not result.ok
    assert elapsed < 2.0


# 8. Odd CSV cells

FUJI = "富士山は日本一高い山です。"


@pytest.mark.parametrize(
    "raw_id", ["9223372036854775807", "9223372036854775808", str(2**31), "1" + "0" * 40, "99999999999999999999"]
)
def test_an_id_out_of_range_is_a_row_error_and_never_reaches_the_database(raw_id):
    article = make_article(claims=False)
    before = database_state()
    data = csv_bytes([csv_row(id=raw_id, statement=FUJI)])
    for dry_run in (True, False):
        report = importing.import_bytes(data, dry_run=dry_run)
        assert not report.ok
        assert [(e.row, e.column) for e in report.errors] == [(2, "id")], [str(e) for e in report.errors]
    assert database_state() == before
    new = importing.import_bytes(csv_bytes([csv_row(statement="最後の文です。")]))  # later new claims work
    assert new.ok and article.claims.filter(statement="最後の文です。").exists()


def test_the_largest_allowed_id_is_accepted():
    make_article(claims=False)
    report = importing.import_bytes(csv_bytes([csv_row(id=str(2**31 - 1), statement=FUJI)]), dry_run=True)
    assert report.ok, [str(e) for e in report.errors]


@pytest.mark.parametrize("url", ["HTTP://EXAMPLE.COM/", "Https://example.com/a?b=C", "hTTp://example.org/"])
def test_an_upper_case_scheme_is_the_same_in_the_preview_and_the_database(url):
    article = make_article(claims=False)
    cell = f"supports | {url} | 出典 | 発行元 | 2023"
    data = csv_bytes([csv_row(statement=FUJI, status="verified", verdict_note="確認。", evidence=cell)])
    preview = importing.import_bytes(data, dry_run=True)
    assert preview.ok, [str(e) for e in preview.errors]
    report = importing.import_bytes(data)
    assert report.ok, [str(e) for e in report.errors]
    stored = article.claims.get(statement=FUJI).evidence.get()
    assert stored.url.startswith(("http://", "https://"))
    assert stored.url.lower() == url.lower()


# 9. Safe by default: settings


def settings_in_a_fresh_process(tmp_path, code, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "SQLITE_"))}
    base.update({"DJANGO_ENV_FILE": str(tmp_path / "no.env"), "SQLITE_PATH": str(tmp_path / "db.sqlite3"), **env})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=settings_module.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "hundredmodels.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_is_off_unless_set(tmp_path):
    refused = settings_in_a_fresh_process(tmp_path, "print(settings.DEBUG)")
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY" in refused.stderr
    production = settings_in_a_fresh_process(
        tmp_path,
        "print(settings.DEBUG, settings.LANGUAGE_COOKIE_SECURE, settings.LANGUAGE_COOKIE_SAMESITE)",
        DJANGO_SECRET_KEY="x" * 50,
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    assert production.stdout.split() == ["False", "True", "Lax"], production.stderr


def test_a_local_env_file_turns_debug_on_and_the_environment_wins(tmp_path):
    env_file = tmp_path / "dev.env"
    env_file.write_text("DJANGO_DEBUG=1\nDJANGO_SECRET_KEY=from-the-file-" + "k" * 40 + "\n")
    local = settings_in_a_fresh_process(
        tmp_path, "print(settings.DEBUG, settings.SECRET_KEY[:14])", DJANGO_ENV_FILE=str(env_file)
    )
    assert local.stdout.split() == ["True", "from-the-file-"], local.stderr
    overridden = settings_in_a_fresh_process(
        tmp_path,
        "print(settings.DEBUG)",
        DJANGO_ENV_FILE=str(env_file),
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="y" * 50,
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    assert overridden.stdout.split() == ["False"], overridden.stderr


def test_dev_py_writes_a_random_git_ignored_env_once(tmp_path, monkeypatch):
    sys.path.insert(0, str(settings_module.BASE_DIR))
    try:
        import dev
    finally:
        sys.path.pop(0)
    monkeypatch.setattr(dev, "ENV_FILE", tmp_path / ".env")
    dev.ensure_env()
    first = (tmp_path / ".env").read_text()
    assert "DJANGO_DEBUG=1" in first and "DJANGO_SECRET_KEY=" in first
    dev.ensure_env()
    assert (tmp_path / ".env").read_text() == first  # never overwritten
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setattr(dev, "ENV_FILE", other / ".env")
    dev.ensure_env()
    assert (other / ".env").read_text() != first  # a random key each machine
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=settings_module.BASE_DIR, capture_output=True, timeout=30
    )
    assert ignored.returncode == 0


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("sqlite:///relative.sqlite3", "django.db.backends.sqlite3", "relative.sqlite3"),
        ("sqlite:////tmp/absolute.sqlite3", "django.db.backends.sqlite3", "/tmp/absolute.sqlite3"),
        ("postgres://postgres@127.0.0.1:5432/hm_hostile", "django.db.backends.postgresql", "hm_hostile"),
        ("postgresql://u:p%40ss@db.example:6543/site?test_name=t", "django.db.backends.postgresql", "site"),
    ],
)
def test_database_urls_are_parsed_by_dj_database_url(url, engine, name):
    config = settings_module.database_from_url(url)
    assert config["ENGINE"] == engine and config["NAME"] == name
    assert config["CONN_HEALTH_CHECKS"] is True
    if engine.endswith("postgresql"):
        assert config["OPTIONS"]["connect_timeout"] <= 5
    if "test_name" in url:
        assert config["TEST"]["NAME"] == "t" and config["PASSWORD"] == "p@ss"


def test_the_language_cookie_is_same_site_lax(home):
    response = reader().post("/i18n/setlang/", {"language": "en", "next": "/"})
    cookie = response.cookies["django_language"]
    assert cookie["samesite"] == "Lax"


# 9. Formula escaping: every leading variant

FORMULA_VARIANTS = [
    " =SUM(A1)",
    "\u3000=SUM(A1)",
    "＝SUM(A1)",
    "\n=SUM(A1)",
    "\r\n=SUM(A1)",
    "\ufeff=SUM(A1)",
    "\u200b=SUM(A1)",
    "  \t=1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "\u2060=1",
]


@pytest.mark.parametrize("value", FORMULA_VARIANTS)
def test_formula_escaping_catches_every_leading_variant(value):
    escaped = csvformat.escape_formula(value)
    assert escaped == "'" + value
    assert csvformat.unescape_formula(escaped) == value


@hypothesis.given(
    hypothesis.strategies.text(
        alphabet=hypothesis.strategies.sampled_from("'= +-@＝＋\u3000\n\r\t\ufeff\u200ba1")
        | hypothesis.strategies.characters(),
        max_size=8,
    )
)
def test_formula_escaping_round_trips_exactly(value):
    assert csvformat.unescape_formula(csvformat.escape_formula(value)) == value


@pytest.mark.parametrize("value", ["普通の文。", "a=1", "100%", "'quoted"])
def test_ordinary_cells_are_not_escaped(value):
    assert csvformat.escape_formula(value) == value


# 8 (brief) / 5 (issue). A sick database: stored pages outlive the revision's short-lived key


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


# The corpus, through every entry point: refused with a named reason, or stored and inert; never
# a 500, nothing half-written.

INVISIBLE_PAYLOADS = {code: f"確認{char}した。" for code, char in HIDDEN.items() if code != "U+2028"}
INERT_PAYLOADS = [
    '<script>alert("x")</script>',
    '=HYPERLINK("http://evil.example/","x")',
    "＝1+1",
    " =1+1",
    "\u3000=1",
    "'; DROP TABLE claims_claim; --",
    "https://169.254.169.254/latest/",
]


def assert_inert(client, claim, payload):
    for url in (reverse("claims:claim", args=[claim.pk]), "/claims/", "/feed/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "<script>alert" not in response.content.decode(), url


@pytest.mark.parametrize("code", INVISIBLE_PAYLOADS)
@pytest.mark.parametrize("field", ["verdict_note", "internal_note", "status_note"])
def test_admin_claim_form_refuses_invisible_text_by_name(editor_client, field, code):
    claim = make_article().claims.first()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = page_data(editor_client.get(url))
    before = database_state()
    response = editor_client.post(url, {**data, field: INVISIBLE_PAYLOADS[code]})
    assert response.status_code == 200
    assert code in str(response.context["adminform"].form.errors.get(field))
    assert database_state() == before


@pytest.mark.parametrize("payload", INERT_PAYLOADS)
def test_admin_claim_form_stores_markup_and_formulas_inert(editor_client, payload):
    claim = make_article().claims.first()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = page_data(editor_client.get(url))
    response = editor_client.post(url, {**data, "verdict_note": payload, "internal_note": payload})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.verdict_note == payload.strip()  # form fields are trimmed
    assert_inert(reader(), claim, payload)
    export = editor_client.get(reverse("admin:claims_claim_changelist"))
    assert export.status_code == 200


@pytest.mark.parametrize("name", [*PUNCTUATION_TAGS, "\u200b", "tag\u202e", "<b>x</b>", "あ" * 101])
def test_tag_admin_never_fails(name):
    client = Client(raise_request_exception=False)
    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    claim = make_article().claims.first()
    response = client.post(reverse("admin:taggit_tag_add"), {"name": name, "slug": ""})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["adminform"].form.errors
    for url in public_pages(claim):
        assert reader().get(url).status_code == 200


@pytest.mark.parametrize("code", INVISIBLE_PAYLOADS)
def test_the_import_command_refuses_invisible_text_by_name_and_writes_nothing(tmp_path, code):
    make_article(claims=False)
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes([csv_row(statement=FUJI, verdict_note=INVISIBLE_PAYLOADS[code])]))
    before = database_state()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_claims", str(path), stdout=out, stderr=err)
    assert code in out.getvalue() + err.getvalue()
    assert database_state() == before


@pytest.mark.parametrize("payload", INERT_PAYLOADS)
def test_the_import_command_stores_markup_and_formulas_inert(tmp_path, payload):
    article = make_article(claims=False)
    path = tmp_path / "claims.csv"
    path.write_bytes(csv_bytes([csv_row(statement=FUJI, verdict_note=payload, tags="!!!")]))
    call_command("import_claims", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    claim = article.claims.get(statement=FUJI)
    assert claim.verdict_note == payload  # the formula escaping round-trips exactly
    assert_inert(reader(), claim, payload)
