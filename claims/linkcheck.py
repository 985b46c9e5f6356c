"""Visiting evidence links to find the dead ones (manage.py check_links; never a page request).

Each link is fetched once however many evidence rows cite it, with a timeout, a polite user
agent, at most ``workers`` hosts at a time and one request at a time per host (with a pause
between two requests to the same host). A 404 or 410 is dead at once; any other failure (a
server error, a timeout, a refused connection, a 403 from a bot filter) only on the second
check in a row, since those are often temporary.

What went wrong is stored in ``Evidence.link_error`` as text already translated into the site's
language (``settings.LANGUAGE_CODE``, Japanese), not as a code translated at display time. The
text is a record of what one check found and mostly carries words the server or the operating
system chose ("Not Found", "Connection refused"), which no catalogue can translate; it is read
as is in the admin, in check_links' report for cron and in the evidence CSV export, and storing
a code would need a format to parse in each of those places. The price: an editor who switches
the admin to English still reads the problems found so far in Japanese. ``fetch`` keeps the
facts (``LinkResult``); ``problem_text`` words them, in the site's language whoever runs the
check, so that the stored texts never mix languages.

Evidence URLs are typed by editors and imported from files, so the checker is careful where it
connects (it runs inside the site's network): it resolves each host name itself and refuses,
before connecting, any address that is not on the public internet (loopback, private, link-local
such as 169.254.169.254, shared, reserved, multicast, IPv4-mapped IPv6 of those), for the first
request and for every redirect, and connects to the address it checked (a second lookup cannot
change it). Proxies from the environment are not used. Each URL has one deadline for the whole
visit, redirects included, not a timeout per read: a server that trickles its headers is cut off.
What is stored for editors is the status, the standard reason phrase for the code (never the
server's own words) and a permanent move only to a public address.
``LINKCHECK_ALLOWED_NETWORKS`` (a setting, empty by default) lists networks allowed even so.
"""

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from .models import Evidence

LinkStatus = Evidence.LinkStatus
MAX_WORKERS = 8
GONE = {404, 410}
FAILURES_BEFORE_DEAD = 2


def user_agent():
    """Who is asking, and where to read about it: LINKCHECK_ABOUT_URL, or the site's own address."""
    about = getattr(settings, "LINKCHECK_ABOUT_URL", "")
    if not about:
        hosts = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host not in ("*", "testserver")]
        about = f"https://{hosts[0] if hosts else 'localhost'}/"
    return f"hundredmodels-linkcheck/1.0 (+{about})"


@dataclass(frozen=True)
class LinkResult:
    """What one visit found. ``error`` is the server's or the system's own words, untranslated."""

    url: str
    status_code: int | None
    ok: bool
    error: str = ""
    moved_to: str = ""
    timed_out_after: float | None = None
    connected: bool = True
    refused_host: str = ""  # not visited: the host is, or resolves to, a non-public address


def problem_text(result):
    """The link problem an editor reads (Evidence.link_error), in the site's language, at most 200 characters."""
    with translation.override(settings.LANGUAGE_CODE):
        if result.ok:
            text = gettext("moved permanently to %(url)s") % {"url": result.moved_to} if result.moved_to else ""
        elif result.refused_host:
            # Not the host's name: a redirect's target may name an internal machine.
            text = gettext("not checked: the link leads to a private, local or reserved address")
        elif result.timed_out_after is not None:
            text = gettext("no answer within %(seconds)s s") % {"seconds": f"{result.timed_out_after:g}"}
        elif result.status_code is not None:
            text = gettext("the server answered HTTP %(code)d %(reason)s") % {
                "code": result.status_code,
                "reason": standard_reason(result.status_code),
            }
        elif not result.connected:
            text = gettext("could not connect: %(reason)s") % {"reason": result.error}
        else:
            text = gettext("the request failed: %(reason)s") % {"reason": result.error}
    return text.strip()[:200]


def standard_reason(code):
    """The standard reason phrase for an HTTP status ("Not Found"), never the server's own text."""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


class RefusedAddress(OSError):
    """The host is, or resolves to, an address the checker never connects to."""

    def __init__(self, host):
        super().__init__(f"refused address for {host}")
        self.host = host


def _allowed_networks():
    return [ipaddress.ip_network(net, strict=False) for net in getattr(settings, "LINKCHECK_ALLOWED_NETWORKS", ())]


# Special-purpose ranges that ``is_global`` calls global on some Python versions (3.11 says so of
# 192.0.0.8, for one), or never refuses: the IETF protocol assignments 192.0.0.0/24 (all of it:
# no evidence is served from its two anycast addresses), the 6to4 relay anycast, the deprecated
# IPv6 site-local fec0::/10, local-use NAT64, the IPv6 documentation range 3fff::/20 and SRv6 SIDs.
NOT_GLOBAL = [
    ipaddress.ip_network(network)
    for network in ("192.0.0.0/24", "192.88.99.0/24", "fec0::/10", "64:ff9b:1::/48", "3fff::/20", "5f00::/16")
]


def is_public_address(address):
    """True for an address on the public internet (or in LINKCHECK_ALLOWED_NETWORKS)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if any(ip in network for network in _allowed_networks() if network.version == ip.version):
        return True
    if ip.version == 6 and (ip.ipv4_mapped or ip.sixtofour or ip.teredo):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    if any(ip in network for network in NOT_GLOBAL if network.version == ip.version):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback)


def is_allowed_host(host, port):
    """True for a ``host:port`` listed in CLAIMS_FETCH_ALLOW_HOSTS (tests, an intranet's sources)."""
    allowed = {entry.lower() for entry in getattr(settings, "CLAIMS_FETCH_ALLOW_HOSTS", ())}
    return bool(allowed) and f"{str(host).strip('[]').lower()}:{port}" in allowed | {
        entry.replace("[", "").replace("]", "") for entry in allowed
    }


def public_addresses(host, port):
    """Resolve ``host`` and return its addresses; RefusedAddress if any of them is not public
    (unless ``host:port`` is in CLAIMS_FETCH_ALLOW_HOSTS)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError as error:
        raise OSError(f"bad host name: {error}") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise RefusedAddress(host)
    if not is_allowed_host(host, port) and not all(is_public_address(address) for address in addresses):
        raise RefusedAddress(host)
    return [(info[0], info[4]) for info in infos]


class _Deadline:
    """One deadline for a whole visit: every socket it opens is shut down when the time is up."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.sockets = []
        self.lock = threading.Lock()
        self.expired = False
        self.timer = threading.Timer(seconds, self.expire)
        self.timer.daemon = True

    def remaining(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left

    def add(self, sock):
        with self.lock:
            if self.expired:
                sock.close()
                raise TimeoutError("deadline passed")
            self.sockets.append(sock)

    def expire(self):
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()
        return False


def _vetted_connection_factory(deadline):
    """``socket.create_connection`` that connects only to a checked public address, within the deadline."""

    def create_connection(address, timeout=None, source_address=None, **kwargs):
        host, port = address
        last_error = None
        for family, sockaddr in public_addresses(host, port):
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                deadline.add(sock)
                sock.settimeout(min(deadline.remaining(), timeout or deadline.seconds))
                sock.connect(sockaddr)
                return sock
            except OSError as error:
                last_error = error
                sock.close()
                if deadline.expired:
                    raise TimeoutError("deadline passed") from error
        raise last_error or OSError(f"could not connect to {host}")

    return create_connection


def _handlers(deadline):
    factory = _vetted_connection_factory(deadline)

    class VettedHTTPConnection(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = factory

    class VettedHTTPSConnection(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = factory  # TLS is then wrapped with the URL's host name

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(VettedHTTPConnection, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(VettedHTTPSConnection, req, context=getattr(self, "_context", None))

    return [urllib.request.ProxyHandler({}), HTTPHandler(), HTTPSHandler()]


class _RecordingRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects (up to urllib's limit of 10), remembering permanent moves."""

    def __init__(self):
        self.permanent = ""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if code in (301, 308) and not self.permanent:
            self.permanent = newurl
        if urlsplit(newurl).scheme not in ("http", "https"):
            return None  # never follow a redirect to file:, ftp: or anything else
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url, *, timeout):
    """Visit one URL and say whether it works, within ``timeout`` seconds in all. Reads the headers
    only, never the body; connects only to public addresses, after each redirect too."""
    redirects = _RecordingRedirects()
    with _Deadline(timeout) as deadline:
        opener = urllib.request.build_opener(redirects, *_handlers(deadline))
        request = urllib.request.Request(
            url, headers={"User-Agent": user_agent(), "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        )
        try:
            with opener.open(request, timeout=timeout) as response:
                code = response.status
            if deadline.expired:  # the headers were cut off at the deadline, not complete
                return LinkResult(url, None, False, timed_out_after=timeout)
            return LinkResult(url, code, 200 <= code < 300, moved_to=redirects.permanent)
        except urllib.error.HTTPError as error:
            return LinkResult(url, error.code, False, error=standard_reason(error.code))
        except RefusedAddress as error:
            return LinkResult(url, None, False, refused_host=error.host, connected=False)
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, RefusedAddress):
                return LinkResult(url, None, False, refused_host=reason.host, connected=False)
            if isinstance(reason, TimeoutError | socket.timeout) or deadline.expired:
                return LinkResult(url, None, False, timed_out_after=timeout)
            return LinkResult(url, None, False, error=str(reason)[:200], connected=False)
        except (OSError, ValueError, http.client.HTTPException) as error:  # reset, malformed, cut off
            if isinstance(error, TimeoutError | socket.timeout) or deadline.expired:
                return LinkResult(url, None, False, timed_out_after=timeout)
            return LinkResult(url, None, False, error=str(error)[:200] or error.__class__.__name__)


def check_urls(urls, *, timeout=10.0, workers=MAX_WORKERS, delay=1.0):
    """Fetch each URL once: hosts in parallel (at most ``workers``), each host's URLs in turn."""
    by_host = defaultdict(list)
    for url in dict.fromkeys(urls):
        by_host[urlsplit(url).netloc.lower()].append(url)

    def visit_host(host_urls):
        results = []
        for i, url in enumerate(host_urls):
            if i and delay:
                time.sleep(delay)
            results.append(fetch(url, timeout=timeout))
        return results

    workers = max(1, min(workers, MAX_WORKERS))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="linkcheck") as pool:
        return {result.url: result for batch in pool.map(visit_host, by_host.values()) for result in batch}


def record(evidence, result, *, now):
    """The link fields of one evidence row after a check (consecutive failures decide "dead")."""
    if result.ok:
        return {
            "link_status": LinkStatus.OK,
            "link_status_code": result.status_code,
            "link_checked_at": now,
            "link_failures": 0,
            "link_error": problem_text(result),
        }
    failures = evidence.link_failures + 1
    dead = result.status_code in GONE or failures >= FAILURES_BEFORE_DEAD
    return {
        "link_status": LinkStatus.DEAD if dead else LinkStatus.FAILING,
        "link_status_code": result.status_code,
        "link_checked_at": now,
        "link_failures": min(failures, 32767),
        "link_error": problem_text(result),
    }


def evidence_check_links(*, evidence=None, timeout=10.0, workers=MAX_WORKERS, delay=1.0, checked_before=None):
    """Check the links of ``evidence`` (all evidence by default) and record what was found.

    Only the link fields are written (with ``update``), so an editor's concurrent edit of the
    same evidence is never overwritten. Returns ``{evidence pk: LinkResult}``.
    """
    rows = Evidence.objects.all() if evidence is None else evidence
    if checked_before is not None:
        rows = rows.filter(link_checked_at__isnull=True) | rows.filter(link_checked_at__lt=checked_before)
    rows = list(rows.only("pk", "url", "link_failures"))
    results = check_urls([row.url for row in rows], timeout=timeout, workers=workers, delay=delay)
    now = timezone.now()
    with transaction.atomic():
        for row in rows:
            Evidence.objects.filter(pk=row.pk).update(**record(row, results[row.url], now=now))
    return {row.pk: results[row.url] for row in rows}


@dataclass(frozen=True)
class Page:
    """A page read whole for a snapshot (claims/archiving.py): what came back, or what went wrong.

    ``error`` is the problem in the site's language (as ``problem_text``), empty when a response
    came back whole; a 404 is a response (its status says so), not an error."""

    url: str
    final_url: str = ""
    status_code: int | None = None
    reason: str = ""
    headers: tuple = ()
    body: bytes = b""
    error: str = ""
    timed_out: bool = False

    @property
    def content_type(self):
        return next((value for name, value in self.headers if name.lower() == "content-type"), "")[:200]


def fetch_page(url, *, timeout, max_bytes):
    """Fetch ``url`` and read its body (at most ``max_bytes``) within ``timeout`` seconds in all,
    through the same vetted connections as :func:`fetch`: public addresses only (or
    CLAIMS_FETCH_ALLOW_HOSTS), every redirect checked, no proxy."""
    with _Deadline(timeout) as deadline:
        opener = urllib.request.build_opener(_RecordingRedirects(), *_handlers(deadline))
        request = urllib.request.Request(
            url, headers={"User-Agent": user_agent(), "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        )

        def read(response):
            body = response.read(max_bytes + 1)
            if deadline.expired:
                result = LinkResult(url, None, False, timed_out_after=timeout)
                return Page(url, error=problem_text(result), timed_out=True)
            page = Page(
                url,
                final_url=response.geturl(),
                status_code=response.status,
                reason=standard_reason(response.status),
                headers=tuple(response.headers.items()),
                body=body[:max_bytes],
            )
            if len(body) > max_bytes:
                with translation.override(settings.LANGUAGE_CODE):
                    error = gettext("the page is larger than %(size)d bytes") % {"size": max_bytes}
                return Page(**{**page.__dict__, "body": b"", "error": error})
            return page

        try:
            with opener.open(request, timeout=timeout) as response:
                return read(response)
        except urllib.error.HTTPError as error:
            with error:
                return read(error)
        except (OSError, ValueError, http.client.HTTPException) as error:
            result = fetch_failure(url, error, timeout=timeout, expired=deadline.expired)
            return Page(url, error=problem_text(result), timed_out=result.timed_out_after is not None)


def fetch_failure(url, error, *, timeout, expired):
    """The LinkResult of a visit that got no response."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, RefusedAddress):
        return LinkResult(url, None, False, refused_host=reason.host, connected=False)
    if isinstance(reason, TimeoutError | socket.timeout) or expired:
        return LinkResult(url, None, False, timed_out_after=timeout)
    if isinstance(error, urllib.error.URLError):
        return LinkResult(url, None, False, error=str(reason)[:200], connected=False)
    return LinkResult(url, None, False, error=str(error)[:200] or error.__class__.__name__)
