"""Public pages cached under the content revision, with conditional GET.

A page is stored under (code release, content revision, language, encoding, path), so an edit
anywhere changes the key on its commit, and a deploy changes it too: the next request renders
afresh, on every app server, whether they share a Redis cache or each keep their own. A repeat visit gets 304 Not Modified from the ETag or
Last-Modified alone.

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
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import parse_http_date_safe
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import condition

from claims.middleware import DATABASE_ERRORS, reader_language

from .revision import current_revision, revision_label

PAGE_TIMEOUT = 60 * 60 * 24  # keys change with every edit; this only bounds unused entries
RENDER_LOCK_TIMEOUT = 30  # a worker that dies while rendering holds the others back no longer
RENDER_WAIT = 5.0
RENDER_POLL = 0.02
LOCAL_PAGES = 64


class LocalPages:
    """The few most recent pages in this process, in front of the shared cache.

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
        with self.lock:
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


def _revision(request):
    # The key, the ETag and Last-Modified all need it: read the revision once per request.
    if not hasattr(request, "_content_revision"):
        request._content_revision = current_revision()
    return request._content_revision


def _revision_key(request):
    return f"{code_release()}.{revision_label(_revision(request))}"


def _etag(request, *args, **kwargs):
    return f"r{_revision_key(request)}-{translation.get_language()}"


def _last_modified(request, *args, **kwargs):
    return _revision(request)[1]


def page_key(request, language):
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    # A compressed and a plain copy: gzip_page compresses once, when the page is rendered.
    encoding = "gzip" if re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")) else "identity"
    return f"page:{_revision_key(request)}:{language}:{encoding}:{path}"


def public_page(view):
    """Mark a reader's page as cacheable (GET and HEAD, 200 only), answer conditional requests and
    compress it for browsers that accept gzip (public pages carry no secret for BREACH to guess)."""

    @functools.wraps(view)
    def cacheable_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method in ("GET", "HEAD"):
            patch_vary_headers(response, ("Cookie",))
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        return response

    page_view = gzip_page(condition(etag_func=_etag, last_modified_func=_last_modified)(cacheable_view))
    page_view.public_page = True  # what CachedPageMiddleware looks for
    return page_view


def _is_public_page(request):
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return getattr(match.func, "public_page", False)


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
            if response.status_code == 200 and not response.streaming and not response.cookies:
                page = (response.content, list(response.items()))
                cache.set(key, page, PAGE_TIMEOUT)
                local_pages.put(key, page)
        finally:
            cache.delete(f"render:{key}")
        return response


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
