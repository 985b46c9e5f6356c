"""check_links against a local HTTP server on 127.0.0.1 (tests never contact anything else)."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from claims import linkcheck
from claims.models import Evidence
from claims.roles import EDITORS
from claims.tests.factories import add_evidence, make_user

pytestmark = pytest.mark.django_db
LinkStatus = Evidence.LinkStatus


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        server = self.server
        server.seen.append((self.path, self.headers.get("User-Agent")))
        self.answer()

    def answer(self):
        path = self.path.split("?")[0]
        if path == "/slow":
            server = self.server
            with server.lock:
                server.active += 1
                server.max_active = max(server.max_active, server.active)
            time.sleep(server.slow)
            with server.lock:  # before answering, so the client cannot be faster than the count
                server.active -= 1
            return self.reply(200)
        if path == "/moved":
            return self.reply(301, location="/ok")
        if path == "/to-file":
            return self.reply(302, location="file:///etc/passwd")
        codes = {"/ok": 200, "/gone": 404, "/error": 500, "/forbidden": 403}
        self.reply(codes.get(path, 404))

    def reply(self, code, location=None):
        body = b"<html><body>hello</body></html>"
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def start_server(slow=3.0):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # the checker hangs up after the headers
    server.seen, server.lock, server.active, server.max_active, server.slow = [], threading.Lock(), 0, 0, slow
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@pytest.fixture
def server(monkeypatch, settings):
    # The checker refuses loopback addresses (claims/linkcheck.py); this test server is allowed.
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = start_server()
    yield server
    server.shutdown()
    server.server_close()


def url(server, path):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


@pytest.fixture
def links(server, claim):
    make = lambda path, **kw: add_evidence(claim, url=url(server, path), title=path, **kw)  # noqa: E731
    return {
        "ok": make("/ok"),
        "moved": make("/moved"),
        "gone": make("/gone", archive_url="https://web.archive.org/web/2023/https://example.com/gone"),
        "error": make("/error"),
        "slow": make("/slow"),
        "forbidden": make("/forbidden"),
    }


def check(**options):
    options = {"timeout": 0.5, "delay": 0, **options}
    try:
        call_command("check_links", **options)
    except CommandError as error:
        return error.returncode
    return 0


def fresh(evidence):
    evidence.refresh_from_db()
    return evidence


@pytest.mark.parametrize(
    "address",
    ["fec0::1", "fec0:1234::5", "192.0.0.8", "192.0.0.9", "192.88.99.1", "3fff::1", "64:ff9b:1::1", "::ffff:192.0.0.8"],
)
def test_special_purpose_and_site_local_addresses_are_not_public(address, settings):
    settings.LINKCHECK_ALLOWED_NETWORKS = []
    assert not linkcheck.is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_global_addresses_are_public(address, settings):
    settings.LINKCHECK_ALLOWED_NETWORKS = []
    assert linkcheck.is_public_address(address)


def test_check_links_records_what_each_link_answers(server, links, capsys):
    assert check() == 1  # a dead link makes the command fail, for cron to report
    ok, moved, gone, error, slow, forbidden = (fresh(links[k]) for k in links)
    assert (ok.link_status, ok.link_status_code, ok.link_failures) == (LinkStatus.OK, 200, 0)
    assert (moved.link_status, moved.link_status_code) == (LinkStatus.OK, 200)
    assert moved.link_error == f"{url(server, '/ok')} に恒久的に移転しました"
    assert (gone.link_status, gone.link_status_code) == (LinkStatus.DEAD, 404)  # gone: dead at once
    assert (error.link_status, error.link_status_code) == (LinkStatus.FAILING, 500)  # maybe temporary
    assert (slow.link_status, slow.link_status_code) == (LinkStatus.FAILING, None)
    assert slow.link_error == "0.5 秒以内に応答がありませんでした"
    assert error.link_error == "サーバーの応答: HTTP 500 Internal Server Error"
    assert forbidden.link_status == LinkStatus.FAILING
    assert all(e.link_checked_at for e in (ok, moved, gone, error, slow, forbidden))
    out = capsys.readouterr().out
    assert "6 link(s) checked: 2 working, 3 failed once, 1 dead" in out
    assert "archived copy: https://web.archive.org/web/2023/https://example.com/gone" in out


def test_a_second_failure_in_a_row_is_dead_and_a_success_resets(server, links):
    check()
    check()
    assert fresh(links["error"]).link_status == LinkStatus.DEAD
    assert fresh(links["error"]).link_failures == 2
    assert fresh(links["slow"]).link_status == LinkStatus.DEAD
    Evidence.objects.filter(pk=links["error"].pk).update(url=url(server, "/ok"))
    check()
    assert (fresh(links["error"]).link_status, fresh(links["error"]).link_failures) == (LinkStatus.OK, 0)


def test_polite_user_agent_and_each_url_fetched_once(server, claim, links):
    add_evidence(claim, url=url(server, "/ok"), title="the same link again")
    check()
    agents = {agent for _path, agent in server.seen}
    assert agents == {linkcheck.user_agent()}
    assert linkcheck.user_agent().startswith("hundredmodels-linkcheck/1.0 (+http")
    assert [path for path, _agent in server.seen].count("/ok") == 2  # once itself, once after /moved


def test_a_redirect_to_a_non_web_scheme_is_not_followed(server, claim):
    evidence = add_evidence(claim, url=url(server, "/to-file"))
    check()
    assert fresh(evidence).link_status == LinkStatus.FAILING


def test_one_request_at_a_time_per_host_and_at_most_eight_hosts(monkeypatch, settings):
    settings.LINKCHECK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    servers = [start_server(slow=0.3) for _ in range(10)]
    try:
        urls = [url(s, f"/slow?n={n}") for s in servers for n in range(2)]
        started = time.monotonic()
        results = linkcheck.check_urls(urls, timeout=5, workers=50, delay=0)
        elapsed = time.monotonic() - started
        assert len(results) == 20 and all(r.ok for r in results.values()), results
        assert [s.max_active for s in servers] == [1] * 10  # never two requests at once to one host
        assert elapsed >= 0.3 * 2 * 2 - 0.1  # 10 hosts on 8 workers: at least two rounds of two
        assert elapsed < 0.3 * 20  # but not one at a time
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


def test_older_than_skips_recently_checked_links(server, links):
    check()
    seen = len(server.seen)
    check(older_than=1)
    assert len(server.seen) == seen


def test_dead_links_are_in_the_review_queue_with_the_archived_copy(client, server, links):
    check()
    claim = links["gone"].claim
    # Verified claims leave the queue, except when a source has died.
    Evidence.objects.filter(pk=links["ok"].pk).update(stance="supports")
    from claims import services

    services.claim_change_status(claim=claim, to="verified", via="command")
    client.force_login(make_user("hanako", groups=[EDITORS]))
    response = client.get(reverse("admin:claims_reviewqueueitem_changelist"))
    assert claim.pk in {c.pk for c in response.context["cl"].result_list}
    assert "dead link" in response.content.decode() or "リンク切れ" in response.content.decode()

    listed = client.get(reverse("admin:claims_claim_changelist"), {"links": "dead"})
    assert [c.pk for c in listed.context["cl"].result_list] == [claim.pk]

    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert 'href="https://web.archive.org/web/2023/https://example.com/gone"' in page


def test_editors_read_link_problems_in_the_site_language_whoever_ran_the_check(client, server, claim):
    slow = add_evidence(claim, url=url(server, "/slow"), title="遅いサイト")
    refused = add_evidence(claim, url="http://127.0.0.1:1/", title="閉じたポート")
    with translation.override("en"):  # stored as Japanese, the site's language, even so
        check()
    assert fresh(slow).link_error == "0.5 秒以内に応答がありませんでした"
    assert fresh(refused).link_error.startswith("接続できませんでした: ")
    client.force_login(make_user("hanako", groups=[EDITORS]))
    page = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "(0.5 秒以内に応答がありませんでした)" in page
    assert f"({fresh(refused).link_error})" in page
    assert "no answer within" not in page


def test_command_errors_are_in_japanese_by_default_and_in_english_when_asked():
    with pytest.raises(
        CommandError, match="^--timeout と --workers には正の数を、--delay には0以上の数を指定してください。$"
    ):
        call_command("check_links", timeout=0)
    with translation.override("en"), pytest.raises(CommandError, match="^--timeout and --workers must be positive"):
        call_command("check_links", timeout=0)
    with pytest.raises(CommandError, match="^スラッグが「no-such-article」の記事はありません。$"):
        call_command("create_claims", "no-such-article")
    with pytest.raises(CommandError, match="^次のスラッグの記事はありません: a, b$"):
        call_command("check_anchors", "b", "a")


def test_dead_links_fail_the_command_with_a_japanese_count(server, links):
    with pytest.raises(
        CommandError, match="^1件の証拠のリンクが切れています。管理画面の「レビュー待ち」を確認してください。$"
    ):
        call_command("check_links", timeout=0.5, delay=0)
