"""Public pages cached under the revisions of what they show, with conditional GET.

A page is stored under (code release, the revisions of its scopes, language, encoding, scheme,
host, canonical URL). Its scopes (:func:`page_scopes`) are ``all`` and what it shows: an article's
page ``article-<slug>``, a claim's page ``claim-<pk>``, every other page (lists, tags, feed,
sitemap) ``index``. An edit moves the scopes its service names (claims/caching/revision.py), so
it changes the keys of exactly the pages that show it, on its commit, and a deploy changes every
key: the next request renders afresh, on every app server, whether they share a Redis cache or
each keep their own. A repeat visit gets 304 Not Modified from the (strong) ETag or
Last-Modified, answered from the stored page or from the page just rendered, never before the
view has found what the URL names: a missing, draft or out-of-range page is a 404 whatever the
request's conditional headers say, and only a 200 carries an ETag or surrogate keys (a 404's
headers hold nothing from its URL). claims/caching/edge.py adds what a shared cache needs.

What a reader cannot choose freely is what the key is made of:
- the host is checked against ``ALLOWED_HOSTS`` before anything is served (a stored page is never
  served for another host), and host and scheme are in the key, since the feed, the sitemap and
  the JSON-LD carry absolute URLs: a request with an odd ``Host`` or ``X-Forwarded-Proto`` gets
  pages of its own and never changes another reader's;
- the path is the one the URL resolver names (``/claims/02/`` is ``/claims/2/``);
- the query keeps only the parameters the view declares (``public_page(view, params=…)``), each
  normalised; every other parameter is removed from the request before the view sees it, so
  ``/?x=<random>`` is the page ``/``. A view can refuse to have an answer stored (a free-text
  search, an invalid filter) with ``response.store_page = False``.

Views opt in with :func:`public_page`; :class:`CachedPageMiddleware`, placed right after
Django's security middleware, stores their answers with the headers the inner middleware added
(the content security policy, the language, framing) and serves the stored copy before any of
that middleware runs again: a warm request costs one read of the content revision (from Redis
when the cache is shared, else from the database) and one dictionary lookup.
"""

import functools
import hashlib
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, QueryDict
from django.middleware.gzip import re_accepts_gzip
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_vary_headers,
)
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from django.views.decorators.gzip import gzip_page

from claims.middleware import DATABASE_ERRORS, reader_language

from .edge import add_edge_headers, page_surrogate_keys
from .revision import ALL, INDEX, article_scope, claim_scope, label_time, scope_labels

PAGE_TIMEOUT = 60 * 60 * 24  # keys change with every edit; this only bounds unused entries
RENDER_LOCK_TIMEOUT = 30  # a worker that dies while rendering holds the others back no longer
RENDER_WAIT = 5.0
RENDER_POLL = 0.02
LOCAL_PAGES = 64


class LocalPages:
    """The few most recent pages (or page fragments, claims.rendering) in this process, in front of the shared cache.

    Safe because a key names one revision's page for good: an edit makes new keys, never new
    content under an old key. It saves a shared-cache round trip for a large page.
    """

    def __init__(self, size):
        self.size = size
        self.pages = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key, page):
        self.put_many({key: page})

    def get_many(self, keys):
        """The stored ones of ``keys``, as a dict (one lock for all of them)."""
        found = {}
        with self.lock:
            for key in keys:
                page = self.pages.get(key)
                if page is not None:
                    self.pages.move_to_end(key)
                    found[key] = page
        return found

    def put_many(self, pages):
        with self.lock:
            for key, page in pages.items():
                self.pages[key] = page
                self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


local_pages = LocalPages(LOCAL_PAGES)


# What a page is made of besides the content: code, templates, translations, static files (their
# hashed names are in the pages) and the pinned libraries.
RELEASE_SOURCES = ("claims", "hundredmodels", "templates", "locale", "static", "requirements.txt")
RELEASE_SUFFIXES = {".py", ".html", ".txt", ".xml", ".mo", ".css", ".js", ".svg", ".ico", ".png", ".woff2"}


@functools.cache
def code_release():
    """A fingerprint of the code serving the pages, part of every page key and ETag.

    Without it a deploy that changes a template would go on serving the pages cached before it
    until the next edit, and a browser's ETag would still match them.
    """
    digest = hashlib.sha256()
    for name in RELEASE_SOURCES:
        root = settings.BASE_DIR / name
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in paths:
            relative = path.relative_to(settings.BASE_DIR)
            if path.suffix in RELEASE_SUFFIXES and not {"tests", "__pycache__"} & set(relative.parts):
                digest.update(str(relative).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def page_scopes(request):
    """What the page shows, as scopes (claims/caching/revision.py): read from its URL alone, so a
    stored page is found before any view runs. ``all`` first, on every page."""
    if not hasattr(request, "_page_scopes"):
        match = _page_match(request)
        name = match.view_name if match is not None else ""
        if name in ("claims:article", "claims:article_text"):
            scope = article_scope(match.kwargs["slug"])
        elif name == "claims:home":
            scope = article_scope(settings.HOME_ARTICLE_SLUG)
        elif name == "claims:claim":
            scope = claim_scope(match.kwargs["pk"])
        else:
            scope = INDEX
        request._page_scopes = (ALL, scope)
    return request._page_scopes


def _revision(request):
    # The key, the ETag and Last-Modified all need them: read the revisions once per request.
    if not hasattr(request, "_scope_labels"):
        request._scope_labels = scope_labels(page_scopes(request))
    return request._scope_labels


def _revision_key(request):
    return f"{code_release()}.{'.'.join(_revision(request))}"


def _etag(request, *args, **kwargs):
    # Strong: one ETag names one byte sequence, so the compressed copy has its own.
    encoding = "gz" if accepts_gzip(request) else "id"
    return f"r{_revision_key(request)}-{translation.get_language()}-{encoding}"


def _last_modified(request, *args, **kwargs):
    """The revision's time, to the second, once that second is over.

    HTTP dates have one-second resolution: a page rendered in the same second as an edit, sent
    with that second as Last-Modified, would let a client revalidating by date alone miss a
    second edit in that same second (304 for a changed page). Such a page carries only its ETag.
    """
    changed_at = max(label_time(label) for label in _revision(request))
    if timezone.now().replace(microsecond=0) <= changed_at:
        return None
    return changed_at


def accepts_gzip(request):
    """Whether the client accepts gzip: listed with a q-value above zero (``gzip;q=0`` refuses it)."""
    accepted = {}
    for item in request.headers.get("Accept-Encoding", "").split(","):
        name, _sep, parameters = item.strip().partition(";")
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _eq, value = parameter.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        accepted[name.strip().lower()] = quality
    # Only an explicit "gzip" (as Django's GZipMiddleware, which compresses, requires), and not with q=0.
    return accepted.get("gzip", 0.0) > 0 and bool(re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")))


def _normalise_page_number(value):
    return str(int(value)) if value.isascii() and value.isdigit() and len(value) <= 9 else value


# How each parameter a view declares is normalised ("" drops it): the first page is the page
# without ``page``, ``page=02`` is ``page=2``.
NORMALISE = {
    "page": lambda value: "" if _normalise_page_number(value) == "1" else _normalise_page_number(value),
    "focus": lambda value: value if value == "issues" else "",
}


def canonical_query(request, params):
    """The query string of the declared ``params`` only: the last value of each, stripped,
    normalised, empty ones dropped, in a fixed order."""
    query = QueryDict(mutable=True)
    for name in sorted(params):
        values = request.GET.getlist(name)
        value = NORMALISE.get(name, str)(values[-1].strip()) if values else ""
        if value:
            query[name] = value
    return query


def _page_match(request):
    """The resolver match of a page marked with public_page, or None."""
    if not hasattr(request, "_page_match"):
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        request._page_match = match if match and getattr(match.func, "public_page", False) else None
    return request._page_match


def canonicalise(request):
    """The page's canonical URL (scheme, allowed host, resolved path, declared query); removes
    every undeclared parameter from the request, so the view renders exactly what the key names.

    Raises DisallowedHost (a 400) for a host not in ALLOWED_HOSTS, before any page is served.
    """
    if hasattr(request, "_canonical_url"):
        return request._canonical_url
    host = request.get_host()
    match = _page_match(request)
    path = request.path
    query = QueryDict(mutable=True)
    if match is not None:
        try:
            path = reverse(
                match.view_name, args=match.args, kwargs=match.kwargs, urlconf=getattr(request, "urlconf", None)
            )
        except NoReverseMatch:
            path = request.path
        query = canonical_query(request, getattr(match.func, "page_params", ()))
    query_string = query.urlencode()
    query._mutable = False
    request.GET = query
    request.META["QUERY_STRING"] = query_string
    request._canonical_url = f"{request.scheme}://{host}{path}" + (f"?{query_string}" if query_string else "")
    return request._canonical_url


def page_key(request, language):
    url = hashlib.sha256(canonicalise(request).encode()).hexdigest()[:32]
    # A compressed and a plain copy: gzip_page compresses once, when the page is rendered.
    encoding = "gzip" if accepts_gzip(request) else "identity"
    return f"page:{_revision_key(request)}:{language}:{encoding}:{url}"


def public_page(view, *, params=()):
    """Mark a reader's page as cacheable (GET and HEAD, 200 only), answer conditional requests and
    compress it for browsers that accept gzip (public pages carry no secret for BREACH to guess).

    ``params`` are the query parameters the view reads; every other one is removed before the
    view is called, and none of them makes a new stored page.
    """

    @functools.wraps(view)
    def cacheable_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            patch_vary_headers(response, ("Cookie",))
            if getattr(response, "private_page", False):
                # A draft previewed by staff: no cache anywhere keeps it (nor does this module).
                add_never_cache_headers(response)
            elif response.status_code == 200:
                # Only a page that exists gets validators and keys: the view has found it (a
                # missing, draft or out-of-range page raised 404 before this line).
                add_validators(request, response)
                context = getattr(response, "context_data", None) or {}
                add_edge_headers(response, page_scopes(request), page_surrogate_keys(context))
        return response

    # No conditional answer here, before the view: CachedPageMiddleware answers If-None-Match and
    # If-Modified-Since from the page the view rendered (or stored), so a page that does not exist
    # is a 404 whatever the request's conditional headers say.
    conditional_view = cacheable_view
    compressed_view = gzip_page(conditional_view)

    @functools.wraps(view)
    def page_view(request, *args, **kwargs):
        if request.method in ("GET", "HEAD"):
            canonicalise(request)  # the page the middleware stores is the page the view renders
        if accepts_gzip(request):
            response = compressed_view(request, *args, **kwargs)
            # gzip_page weakens the ETag (after the render, for a template); ours already names the
            # compressed copy, and gzip with mtime 0 writes the same bytes each time: keep it strong.
            if getattr(response, "is_rendered", True):
                _strong_etag(response)
            else:
                response.add_post_render_callback(_strong_etag)
            return response
        response = conditional_view(request, *args, **kwargs)
        patch_vary_headers(response, ("Accept-Encoding",))
        return response

    page_view.public_page = True  # what CachedPageMiddleware looks for
    page_view.page_params = tuple(params)
    return page_view


def add_validators(request, response):
    """The page's ETag and Last-Modified (when its second is over), from the revisions it shows."""
    response.headers["ETag"] = quote_etag(_etag(request))
    last_modified = _last_modified(request)
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified.timestamp())


def _strong_etag(response):
    etag = response.headers.get("ETag", "")
    if etag.startswith('W/"r'):
        response.headers["ETag"] = etag.removeprefix("W/")


def _is_public_page(request):
    return _page_match(request) is not None


def _stored_page(key):
    page = local_pages.get(key)
    if page is None:
        page = cache.get(key)
        if page is not None:
            local_pages.put(key, page)
    return page


def _answer(request, page):
    content, headers = page
    response = HttpResponse(content)
    for name, value in headers:
        response.headers[name] = value
    return get_conditional_response(
        request,
        etag=response.headers.get("ETag"),
        last_modified=parse_http_date_safe(response.headers.get("Last-Modified", "")),
        response=response,
    )


class CachedPageMiddleware:
    """Serve stored public pages early; store the answers of views marked with public_page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Only the views marked with public_page: the admin, static files, /health/ and 404s pass
        # straight through, without a revision read or a cache lookup.
        if request.method not in ("GET", "HEAD") or not _is_public_page(request):
            return self.get_response(request)
        try:
            key = page_key(request, reader_language(request))
        except DATABASE_ERRORS:
            # The view meets the same error, and the database-down middleware answers 503.
            return self.get_response(request)
        page = _stored_page(key)
        if page is None and not cache.add(f"render:{key}", 1, RENDER_LOCK_TIMEOUT):
            page = _rendered_elsewhere(key)
        if page is not None:
            return _answer(request, page)
        try:
            response = self.get_response(request)
            if (
                response.status_code == 200
                and not response.streaming
                and not response.cookies
                and getattr(response, "store_page", True)
            ):
                page = (response.content, list(response.items()))
                cache.set(key, page, PAGE_TIMEOUT)
                local_pages.put(key, page)
        finally:
            cache.delete(f"render:{key}")
        return _conditional(request, response)


def _conditional(request, response):
    """304 for a rendered page the client has (only a 200 carries validators: add_validators)."""
    if response.status_code != 200 or response.streaming or not response.has_header("ETag"):
        return response
    return get_conditional_response(
        request,
        etag=response.headers["ETag"],
        last_modified=parse_http_date_safe(response.headers.get("Last-Modified", "")),
        response=response,
    )


def _rendered_elsewhere(key):
    """Wait while another worker renders this page: after an edit, one render instead of one per worker.

    Returns its page once stored, or None (render here) when it stored none (a 404, say), when it
    is gone, or after RENDER_WAIT seconds.
    """
    deadline = time.monotonic() + RENDER_WAIT
    while True:
        found = cache.get_many([key, f"render:{key}"])  # {} when Redis is down: render at once
        if key in found:
            local_pages.put(key, found[key])
            return found[key]
        if f"render:{key}" not in found or time.monotonic() >= deadline:
            return None
        time.sleep(RENDER_POLL)
