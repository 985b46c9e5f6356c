"""The Web Annotation Protocol's read-only side: one container per published article.

GET (and HEAD, OPTIONS) only: any other method is a 405 (never a CSRF page: nothing is written,
so there is nothing to forge). Every answer, 304, 404 and 405 included, carries its Link headers
(the container is an LDP BasicContainer constrained by the protocol; an annotation an LDP
Resource) and ``Allow``; a 404 is JSON, as the rest of the open data's errors. The container's
answer names itself in ``Content-Location`` (the protocol's MUST when it does not redirect).
Answers carry the protocol's media type, an ETag and ``Vary: Accept``. They are not stored by the page cache (their ``?page=``
is theirs to read): the ETag, keyed by the article's scope as its page is (an edit to another
article leaves it), saves the rebuild instead, and its surrogate keys let the edge keep it.
"""

import functools
import json

from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt

from claims.caching.revision import article_scope
from claims.models import Article, Claim, Withdrawal

from .annotations import MEDIA_TYPE, AnnotationBuilder
from .http import add_cors, add_freshness, content_etag, etag_matches
from .serializers import WithdrawnSerializer

ALLOW = "GET, HEAD, OPTIONS"
CONTAINER_LINKS = (
    '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
RESOURCE_LINKS = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def protocol(links):
    """Link, Allow and CORS on every answer of the view, errors included: a 405 for a write, a
    JSON 404 for what is not there (an unknown article or annotation, a page out of range)."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def protocol_view(request, *args, **kwargs):
            if request.method not in READ_METHODS:
                response = JsonResponse({"detail": f"Method “{request.method}” not allowed."}, status=405)
            else:
                try:
                    response = view(request, *args, **kwargs)
                except Http404:
                    response = JsonResponse({"detail": "Not found."}, status=404)
            if not response.has_header("Link"):
                response["Link"] = links
            response["Allow"] = ALLOW
            return add_cors(response, preflight=request.method == "OPTIONS")

        return protocol_view

    return decorate


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
            withdrawal = Withdrawal.objects.at_address(kwargs["pk"]) if "pk" in kwargs else None
            if withdrawal is not None and withdrawal.article.slug == slug:
                # A claim readers could see that was withdrawn: 410, as its page and the API say.
                body = WithdrawnSerializer(withdrawal, context={"request": request}).data
                return JsonResponse(body, status=410, json_dumps_params={"ensure_ascii": False})
            raise Http404
        scopes = (article_scope(slug),)
        etag = content_etag("annotations", scopes)
        if request.method in ("GET", "HEAD") and etag_matches(request, etag):
            response = HttpResponseNotModified()
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


def _answer(request, data, *, location=None):
    if request.method == "OPTIONS":
        response = HttpResponse(status=200)
    else:
        response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=1), content_type=MEDIA_TYPE)
    if location:
        response["Content-Location"] = location
    return response


def _page_number(request, builder):
    value = request.GET.get("page")
    if value is None:
        return None
    if not value.isdigit() or int(value) >= builder.page_count:
        raise Http404
    return int(value)


@protocol(CONTAINER_LINKS)
@conditional
def annotation_container(request, slug):
    """The container (with its first page embedded), or one page of it with ``?page=N``."""
    builder = _builder(request, slug)
    number = _page_number(request, builder)
    if number is None:
        return _answer(request, builder.container(), location=builder.container_url)
    response = _answer(request, builder.page(number), location=builder.page_url(number))
    response["Link"] = RESOURCE_LINKS  # a page is a resource of its own, not the container
    return response


@protocol(RESOURCE_LINKS)
@conditional
def annotation_detail(request, slug, pk):
    builder = _builder(request, slug)
    claim = next((claim for claim in builder.claims if claim.pk == pk), None)
    if claim is None:
        raise Http404
    return _answer(request, builder.annotation(claim, with_context=True))
