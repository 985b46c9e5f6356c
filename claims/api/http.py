"""What every open-data answer shares: an ETag that moves with what it shows, read-only CORS and
the page cache's Cache-Control and surrogate keys.

The ETag is the code release and the revisions of the scopes the answer shows
(claims/caching/revision.py), the same things a cached page is keyed by (claims/caching/pages.py):
an article's annotations by ``article-<slug>``, a claim by ``claim-<pk>``, the lists by
``index``, and every answer by ``all``. An edit a reader could see in the answer, or a deploy,
changes it; an edit to another article does not. The same scopes are its surrogate keys, so the
purge of a change reaches the answers it changed at the edge.
"""

import hashlib

from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

from claims.caching.edge import add_edge_headers
from claims.caching.pages import code_release
from claims.caching.revision import ALL, current_revision, scope_labels

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
EXPOSED_HEADERS = "ETag, Link, Retry-After"


def content_etag(kind, scopes):
    """A strong ETag (quoted) for the code and the current revisions of ``all`` and ``scopes``
    (one Redis MGET, or one small query)."""
    labels = scope_labels([ALL, *scopes])
    label = f"{kind}:{code_release()}:{'.'.join(scopes)}:{'.'.join(labels)}"
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


def add_freshness(response, etag, scopes):
    """The page cache's rule: anyone may store it, and must ask again (a 304 is cheap) before use;
    an edge keeps it until a change to one of its ``scopes`` purges it."""
    response["ETag"] = etag
    add_edge_headers(response, scopes)
    patch_vary_headers(response, ("Accept",))
    return response
