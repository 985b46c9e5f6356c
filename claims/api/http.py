"""What every open-data answer shares: an ETag that moves with the content, read-only CORS and
the page cache's Cache-Control.

The ETag is the code release and the content revision (claims/caching/), the same two things a
cached page is keyed by: any edit a reader could see, or a deploy, changes it, and nothing else.
"""

import hashlib

from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags

from claims.caching.pages import code_release
from claims.caching.revision import current_revision, revision_label

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
EXPOSED_HEADERS = "ETag, Link, Retry-After"


def content_etag(kind="api"):
    """A strong ETag (quoted) for the current content revision and code."""
    label = f"{kind}:{code_release()}:{revision_label(current_revision())}"
    return '"' + hashlib.sha256(label.encode()).hexdigest()[:24] + '"'


def etag_matches(request, etag):
    """True when the request's If-None-Match names this ETag (weak comparison, as RFC 9110 asks)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or any(tag.removeprefix("W/") == etag for tag in tags)


def data_date():
    """When the public record last changed: the content revision's time."""
    return current_revision()[1]


def add_cors(response, *, preflight=False):
    """Read-only CORS: any origin may read, nobody sends credentials."""
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if preflight:
        response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response["Access-Control-Allow-Headers"] = "Accept, If-None-Match, Prefer"
        response["Access-Control-Max-Age"] = "86400"
    return response


def add_freshness(response, etag):
    """The page cache's rule: anyone may store it, and must ask again (a 304 is cheap) before use."""
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
    patch_vary_headers(response, ("Accept",))
    return response
