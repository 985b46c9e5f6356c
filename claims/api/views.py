"""The read-only JSON API under /api/v1/ (docs/api.md).

Every view is a :class:`PublicAPIView`: no login and no session, a rate per client address
(429 with Retry-After), then, for one article or claim, a check that it exists and is public
(404 otherwise, or 410 for a claim readers could see that was withdrawn since, whatever the
request's conditional headers say), then the conditional check (304 when the client's ETag is
current, before the answer's queries), read-only CORS and the page cache's Cache-Control on the
answer. The ETag and the surrogate keys are those of the scopes the answer shows
(:meth:`PublicAPIView.scopes`): one article, one claim, or the index for every list.
"""

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from taggit.models import Tag

from claims import ratelimit
from claims.caching.revision import INDEX, article_scope, claim_scope
from claims.models import Article, Claim, StatusChange, Withdrawal
from claims.security import client_ip

from . import serializers
from .http import add_cors, add_freshness, content_etag, etag_matches

MAX_ID = 2**63 - 1


class ClientRateThrottle(BaseThrottle):
    """Requests per client address (behind the trusted proxies), at the rate in settings, counted
    atomically in the shared cache or, while it errs, in this process (claims/ratelimit.py)."""

    scope = "api"

    def allow_request(self, request, view):
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not rate:
            return True
        self.verdict = ratelimit.hit(self.scope, client_ip(request), rate)
        return self.verdict.allowed

    def wait(self):
        return self.verdict.retry_after


class NotModified(exceptions.APIException):
    status_code = 304


class Withdrawn(exceptions.APIException):
    """A claim readers could see that was withdrawn since: its address says so, as its page does."""

    status_code = 410

    def __init__(self, withdrawal):
        super().__init__()
        self.withdrawal = withdrawal


NOT_MODIFIED = OpenApiResponse(description="Not modified: the `If-None-Match` ETag is current.")
ERROR_RESPONSES = {
    304: NOT_MODIFIED,
    429: OpenApiResponse(
        response=serializers.ErrorSerializer, description="Too many requests: wait `Retry-After` seconds."
    ),
}
NOT_FOUND = {404: OpenApiResponse(response=serializers.ErrorSerializer, description="Not found.")}
GONE = {
    410: OpenApiResponse(
        response=serializers.WithdrawnSerializer,
        description="Gone: readers could see this claim, and it was withdrawn (deleted, or no longer a claim).",
    )
}
BAD_REQUEST = {400: OpenApiResponse(response=OpenApiTypes.OBJECT, description="A parameter is not valid.")}


class PublicAPIView(generics.GenericAPIView):
    authentication_classes = []
    throttle_classes = [ClientRateThrottle]
    pagination_class = None

    def scopes(self):
        """The scopes the answer shows (claims/caching/revision.py): every list shows the index."""
        return (INDEX,)

    def check_public(self):
        """Raise Http404 unless what the URL names exists and is public (one small query for a
        detail; nothing for a list). Run before the conditional check, so that a missing or draft
        row answers 404 whatever the client's ``If-None-Match`` says, and no scope (nor header)
        is ever made from a URL that names nothing."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # the rate limit first: a 304 counts too
        if request.method not in ("GET", "HEAD"):
            return  # a preflight or a refused method: no ETag, no keys
        self.check_public()
        self.answer_scopes = self.scopes()
        self.etag = content_etag("api", self.answer_scopes)
        if etag_matches(request, self.etag):
            raise NotModified

    def handle_exception(self, exc):
        if isinstance(exc, NotModified):
            return Response(status=304)
        if isinstance(exc, Withdrawn):
            body = serializers.WithdrawnSerializer(exc.withdrawal, context=self.get_serializer_context())
            return Response(body.data, status=exc.status_code)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_cors(response, preflight=request.method == "OPTIONS")
        if response.status_code in (200, 304) and getattr(self, "etag", None):
            add_freshness(response, self.etag, self.answer_scopes)
        return response

    def options(self, request, *args, **kwargs):
        # A CORS preflight: the methods and headers say it all, no metadata body.
        response = Response(status=200)
        response["Allow"] = "GET, HEAD, OPTIONS"
        return response


def _valid_id(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < number <= MAX_ID:
        raise Http404
    return number


def _valid_slug(value):
    if not value or "\x00" in value or len(value) > 100:
        raise Http404
    return value


# ---------------------------------------------------------------------------------------------
# Articles


def public_articles():
    return Article.objects.published().annotate(
        public_claims=Count("claims", filter=Q(claims__in=Claim.objects.public()))
    )


@extend_schema(tags=["articles"], responses={200: serializers.ArticleSerializer(many=True), **ERROR_RESPONSES})
class ArticleListView(PublicAPIView, generics.ListAPIView):
    """Published articles, newest first."""

    serializer_class = serializers.ArticleSerializer

    def get_queryset(self):
        return public_articles().defer("body")


@extend_schema(tags=["articles"], responses={200: serializers.ArticleDetailSerializer, **ERROR_RESPONSES, **NOT_FOUND})
class ArticleDetailView(PublicAPIView, generics.RetrieveAPIView):
    """One published article, with its body."""

    serializer_class = serializers.ArticleDetailSerializer
    lookup_field = "slug"

    def check_public(self):
        if not Article.objects.published().filter(slug=_valid_slug(self.kwargs["slug"])).exists():
            raise Http404

    def scopes(self):
        return (article_scope(self.kwargs["slug"]),)

    def get_queryset(self):
        return public_articles()

    def get_object(self):
        _valid_slug(self.kwargs["slug"])
        return super().get_object()


# ---------------------------------------------------------------------------------------------
# Claims


class ClaimCursorPagination(CursorPagination):
    """Pages by claim id: a claim keeps its id for good, so a page never skips or repeats one."""

    ordering = "pk"
    page_size = 50

    def decode_cursor(self, request):
        """DRF's cursor, with its position checked too: a claim id, or a 404 like any bad cursor
        (DRF checks the offset but hands the position to the query as sent)."""
        cursor = super().decode_cursor(request)
        position = cursor.position if cursor is not None else None
        if position is not None and not (position.isascii() and position.isdigit() and int(position) <= MAX_ID):
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    def get_paginated_response_schema(self, schema):
        # DRF describes the links in OpenAPI 3.0 terms (`nullable`); 3.1 says null as a type.
        paginated = super().get_paginated_response_schema(schema)
        for name in ("next", "previous"):
            link = paginated["properties"][name]
            del link["nullable"]
            link["type"] = ["string", "null"]
            link["example"] = f"https://example.org/api/v1/claims?{self.cursor_query_param}=cD00ODY%3D"
        paginated["required"] = ["next", "previous", "results"]
        return paginated


def public_claims():
    return Claim.objects.public().select_related("article", "rating__scale").defer("article__body", "article__lead")


@extend_schema(
    tags=["claims"],
    parameters=[serializers.ClaimFilterSerializer],
    responses={200: serializers.ClaimSerializer(many=True), **ERROR_RESPONSES, **BAD_REQUEST, **NOT_FOUND},
)
class ClaimListView(PublicAPIView, generics.ListAPIView):
    """Public claims of published articles, by id, 50 a page (follow `next`)."""

    serializer_class = serializers.ClaimSerializer
    pagination_class = ClaimCursorPagination

    def get_queryset(self):
        query = self.request.query_params
        params = serializers.ClaimFilterSerializer(data={name: query[name] for name in query})
        params.is_valid(raise_exception=True)
        data = params.validated_data
        claims = public_claims().prefetch_related("tags")
        if any("\x00" in value for value in data.values() if isinstance(value, str)):
            return claims.none()  # no slug, tag or heading holds a NUL character
        if "article" in data:
            claims = claims.filter(article__slug=data["article"])
        if "status" in data:
            claims = claims.filter(status=data["status"])
        if "rating" in data:
            claims = claims.filter(rating__code=data["rating"], rating__scale__is_active=True)
        if "tag" in data:
            claims = claims.filter(tags__slug=data["tag"])
        if "section" in data:
            claims = claims.filter(section=data["section"])
        if "updated_since" in data:
            claims = claims.filter(updated_at__gte=data["updated_since"])
        return claims


@extend_schema(
    tags=["claims"],
    parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The claim's id.")],
    responses={200: serializers.ClaimDetailSerializer, **ERROR_RESPONSES, **NOT_FOUND, **GONE},
)
class ClaimDetailView(PublicAPIView, generics.RetrieveAPIView):
    """One public claim with its evidence and its public history (newest first)."""

    serializer_class = serializers.ClaimDetailSerializer
    lookup_url_kwarg = "id"

    def get_queryset(self):
        # The history's user is never selected: editors' names do not reach readers.
        history = StatusChange.objects.only("claim", "from_status", "to_status", "note", "via", "created_at")
        return public_claims().prefetch_related(
            "tags", "evidence", Prefetch("history", queryset=history, to_attr="public_history")
        )

    def check_public(self):
        pk = _valid_id(self.kwargs["id"])
        if not Claim.objects.public().filter(pk=pk).exists():
            withdrawal = Withdrawal.objects.at_address(pk)
            if withdrawal is not None:
                raise Withdrawn(withdrawal)
            raise Http404

    def scopes(self):
        return (claim_scope(_valid_id(self.kwargs["id"])),)

    def get_object(self):
        self.kwargs["id"] = _valid_id(self.kwargs["id"])
        return super().get_object()


# ---------------------------------------------------------------------------------------------
# Tags


@extend_schema(tags=["tags"], responses={200: serializers.TagSerializer(many=True), **ERROR_RESPONSES})
class TagListView(PublicAPIView, generics.ListAPIView):
    """The tags of public claims, by name, with how many public claims carry each."""

    serializer_class = serializers.TagSerializer

    def get_queryset(self):
        return (
            Tag.objects.annotate(claims=Count("claim", filter=Q(claim__in=Claim.objects.public()), distinct=True))
            .filter(claims__gt=0)
            .order_by("name")
        )
