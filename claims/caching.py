"""Public pages cached under the content revision, with conditional GET.

A page is stored under (content revision, language, path), so an edit anywhere changes the key
on its commit and the next request renders afresh, on every app server, whether they share a
Redis cache or each keep their own. A repeat visit gets 304 Not Modified from the ETag or
Last-Modified alone. The warm path is one small query and one cache read.
"""

import hashlib
import threading
from collections import OrderedDict
from functools import wraps

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition

from .freshness import current_revision

PAGE_TIMEOUT = 60 * 60 * 24  # keys change with every edit; this only bounds unused entries
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


def _revision(request):
    # condition() asks for the ETag and then Last-Modified: read the revision once per request.
    if not hasattr(request, "_content_revision"):
        request._content_revision = current_revision()
    return request._content_revision


def _revision_key(request):
    # The time as well as the number: a database restored from an older backup reuses numbers.
    number, changed_at = _revision(request)
    return f"{number}.{int(changed_at.timestamp() * 1_000_000)}"


def _etag(request, *args, **kwargs):
    return f"r{_revision_key(request)}-{translation.get_language()}"


def _last_modified(request, *args, **kwargs):
    return _revision(request)[1]


def public_page(view):
    """Cache a reader's page (GET and HEAD, 200 only) and answer conditional requests."""

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
        key = f"page:{_revision_key(request)}:{translation.get_language()}:{path}"
        hit = local_pages.get(key)
        if hit is None:
            hit = cache.get(key)
            if hit is not None:
                local_pages.put(key, hit)
        if hit is not None:
            content, content_type = hit
            response = HttpResponse(content, content_type=content_type)
        else:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
            if response.status_code == 200 and not response.streaming and not response.cookies:
                page = (response.content, response["Content-Type"])
                cache.set(key, page, PAGE_TIMEOUT)
                local_pages.put(key, page)
        patch_vary_headers(response, ("Cookie",))
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        return response

    return condition(etag_func=_etag, last_modified_func=_last_modified)(cached_view)
