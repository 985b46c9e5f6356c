"""The Web Annotation Protocol's read-only side: one container per published article.

GET (and HEAD, OPTIONS) only. Answers carry the protocol's media type, its Link headers (the
container is an LDP BasicContainer constrained by the protocol; an annotation an LDP Resource),
an ETag, ``Vary: Accept`` and ``Allow``, and are cached as public pages are (``public_page``).
"""

import json

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from claims.caching.pages import public_page
from claims.models import Article, Claim

from .annotations import MEDIA_TYPE, AnnotationBuilder
from .http import add_cors

ALLOW = "GET, HEAD, OPTIONS"
CONTAINER_LINKS = (
    '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
RESOURCE_LINKS = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'


def _builder(request, slug):
    article = get_object_or_404(Article.objects.published(), slug=slug)
    claims = list(Claim.objects.public().filter(article=article).prefetch_related("tags", "evidence"))
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
    response["Vary"] = "Accept"
    return add_cors(response, preflight=request.method == "OPTIONS")


def _page_number(request, builder):
    value = request.GET.get("page")
    if value is None:
        return None
    if not value.isdigit() or int(value) >= builder.page_count:
        raise Http404
    return int(value)


@public_page
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def annotation_container(request, slug):
    """The container (with its first page embedded), or one page of it with ``?page=N``."""
    builder = _builder(request, slug)
    number = _page_number(request, builder)
    if number is None:
        return _answer(request, builder.container(), CONTAINER_LINKS)
    return _answer(request, builder.page(number), None)


@public_page
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def annotation_detail(request, slug, pk):
    builder = _builder(request, slug)
    claim = next((claim for claim in builder.claims if claim.pk == pk), None)
    if claim is None:
        raise Http404
    return _answer(request, builder.annotation(claim, with_context=True), RESOURCE_LINKS)
