"""check_links never reaches an internal address (claims/linkcheck.py): not directly, not through a
redirect; it stores the standard reason, never the server's, and keeps one deadline per request.
"""

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import pytest

from claims import linkcheck
from claims.tests.factories import (
    add_evidence,
    make_article,
)

pytestmark = pytest.mark.django_db


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
