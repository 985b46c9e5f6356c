"""The Web Annotation Protocol's read-only side: one container per published article.

GET (and HEAD, OPTIONS) only. Answers carry the protocol's media type, its Link headers (the
container is an LDP BasicContainer constrained by the protocol; an annotation an LDP Resource),
an ETag, ``Vary: Accept`` and ``Allow``. They are not stored by the page cache (their ``?page=``
is theirs to read): the ETag, keyed by the article's scope as its page is (an edit to another
article leaves it), saves the rebuild instead, and its surrogate keys let the edge keep it.
"""

import functools
import json

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from claims.caching.revision import article_scope
from claims.models import Article, Claim

from .annotations import MEDIA_TYPE, AnnotationBuilder
from .http import add_cors, add_freshness, content_etag, etag_matches

ALLOW = "GET, HEAD, OPTIONS"
CONTAINER_LINKS = (
    '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
RESOURCE_LINKS = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'


def conditional(view):
    """ETag and 304 by the article's scope, checked once the article is known to be published (one
    small query: a missing or draft article is a 404 whatever the request's If-None-Match says);
    the page cache's Cache-Control and surrogate keys."""

    @functools.wraps(view)
    def conditional_view(request, slug, *args, **kwargs):
        shown = Article.objects.published().filter(slug=slug)
        if "pk" in kwargs:  # one annotation: a public claim of that article
            shown = Claim.objects.public().filter(article__slug=slug, pk=kwargs["pk"])
        if not shown.exists():
            raise Http404
        scopes = (article_scope(slug),)
        etag = content_etag("annotations", scopes)
        if request.method in ("GET", "HEAD") and etag_matches(request, etag):
            response = add_cors(HttpResponseNotModified())
        else:
            response = view(request, slug, *args, **kwargs)
        if response.status_code in (200, 304):
            add_freshness(response, etag, scopes)
        return response

    return conditional_view


def _builder(request, slug):
    article = get_object_or_404(Article.objects.published(), slug=slug)
    claims = list(
        Claim.objects.public().filter(article=article).select_related("rating").prefetch_related("tags", "evidence")
    )
    for claim in claims:
        claim.article = article
    return AnnotationBuilder(article, claims, absolute=request.build_absolute_uri)


def _answer(request, data, links):
    if request.method == "OPTIONS":
        response = HttpResponse(status=200)
    else:
        response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=1), content_type=MEDIA_TYPE)
    if links:
        response["Link"] = links
    response["Allow"] = ALLOW
    return add_cors(response, preflight=request.method == "OPTIONS")


def _page_number(request, builder):
    value = request.GET.get("page")
    if value is None:
        return None
    if not value.isdigit() or int(value) >= builder.page_count:
        raise Http404
    return int(value)


@conditional
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def annotation_container(request, slug):
    """The container (with its first page embedded), or one page of it with ``?page=N``."""
    builder = _builder(request, slug)
    number = _page_number(request, builder)
    if number is None:
        return _answer(request, builder.container(), CONTAINER_LINKS)
    return _answer(request, builder.page(number), None)


@conditional
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def annotation_detail(request, slug, pk):
    builder = _builder(request, slug)
    claim = next((claim for claim in builder.claims if claim.pk == pk), None)
    if claim is None:
        raise Http404
    return _answer(request, builder.annotation(claim, with_context=True), RESOURCE_LINKS)
