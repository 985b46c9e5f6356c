"""What the API says about each public row: only fields a reader sees on the site.

Every field is named here; nothing is serialized by ``fields = "__all__"``, so a column added to
a model (an internal note, a proposal, a reporter's address) never reaches the API by accident.
"""

import datetime

from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.models import Article, Claim, Evidence, StatusChange, Withdrawal


def _absolute(serializer, path):
    request = serializer.context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class TagSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    claims = serializers.IntegerField(read_only=True, help_text="Public claims with this tag.")
    html_url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, tag):
        return _absolute(self, reverse("claims:tag", kwargs={"slug": tag.slug}))


class ArticleSerializer(serializers.ModelSerializer):
    claims = serializers.IntegerField(read_only=True, source="public_claims", help_text="Public claims.")
    url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()
    annotations = serializers.SerializerMethodField(help_text="The W3C Web Annotation container.")

    class Meta:
        model = Article
        fields = [
            "slug",
            "title",
            "lead",
            "language",
            "published_at",
            "updated_at",
            "claims",
            "url",
            "html_url",
            "annotations",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, article):
        return _absolute(self, reverse("api:article", kwargs={"slug": article.slug}))

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, article):
        return _absolute(self, article.get_absolute_url())

    @extend_schema_field(OpenApiTypes.URI)
    def get_annotations(self, article):
        return _absolute(self, reverse("api:annotations", kwargs={"slug": article.slug}))


class ArticleDetailSerializer(ArticleSerializer):
    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body"]


# An archived copy's address, or "" when there is none. drf-spectacular says this as a oneOf of a
# URI and an empty string; `format` only annotates in JSON Schema 2020-12 (OpenAPI 3.1), so ""
# matched both branches and the API's own answers were invalid under its schema: anyOf says it.
BLANK_OR_URI = {"type": "string", "maxLength": 2000, "anyOf": [{"format": "uri"}, {"maxLength": 0}]}


@extend_schema_field(BLANK_OR_URI)
class BlankOrURLField(serializers.CharField):
    pass


class EvidenceSerializer(serializers.ModelSerializer):
    archive_url = BlankOrURLField(read_only=True)

    class Meta:
        model = Evidence
        fields = ["stance", "url", "title", "publisher", "published", "accessed", "archive_url", "excerpt"]


class HistorySerializer(serializers.ModelSerializer):
    # The note readers see on the claim page: an import's bookkeeping note is hidden there too.
    note = serializers.CharField(source="public_note", read_only=True)

    class Meta:
        model = StatusChange
        fields = ["from_status", "to_status", "note", "created_at"]


class RatingSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The rating's code on its scale, as in the CSV's rating column.")
    label_ja = serializers.CharField()
    label_en = serializers.CharField()
    scale = serializers.CharField(source="scale.name", help_text="The rating scale it belongs to.")


class ClaimSerializer(serializers.ModelSerializer):
    article = serializers.CharField(source="article.slug", read_only=True, help_text="The article's slug.")
    rating = RatingSerializer(
        read_only=True, allow_null=True, help_text="How true it is within its status; null while not rated."
    )
    tags = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "article",
            "statement",
            "section",
            "status",
            "rating",
            "verdict_note",
            "as_of",
            "last_checked",
            "tags",
            "created_at",
            "updated_at",
            "url",
            "html_url",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tags(self, claim):
        return [tag.name for tag in claim.tags.all()]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, claim):
        return _absolute(self, reverse("api:claim", kwargs={"id": claim.pk}))

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, claim):
        return _absolute(self, claim.get_absolute_url())


class ClaimDetailSerializer(ClaimSerializer):
    evidence = EvidenceSerializer(many=True, read_only=True)
    history = HistorySerializer(many=True, read_only=True, source="public_history")

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "prefix", "suffix", "is_anchored", "evidence", "history"]


class FilterText(serializers.CharField):
    """A filter's text: at least one character, taken as sent (spaces and all).

    Any string the schema allows is accepted; one no row has (a NUL character, which PostgreSQL
    cannot even compare) simply matches nothing: see ``ClaimListView``.
    """

    def __init__(self, **kwargs):
        super().__init__(required=False, min_length=1, trim_whitespace=False, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class TimeInRange(serializers.DateTimeField):
    """A time, held between the years 1900 and 9998: any time the schema allows is accepted, and
    one nearer the calendar's ends (where moving it between time zones, as the field does,
    overflowed into a 500) is taken as the nearest bound, which selects the same claims."""

    EARLIEST = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
    LATEST = datetime.datetime(9998, 12, 31, tzinfo=datetime.UTC)

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is not None and parsed.year < self.EARLIEST.year:
            return self.EARLIEST
        if parsed is not None and parsed.year > self.LATEST.year:
            return self.LATEST
        return super().to_internal_value(value)


class ClaimFilterSerializer(serializers.Serializer):
    """The claims list's query parameters; a value that is not valid is a 400 that names the parameter.

    Read from a plain dict, not the QueryDict: an empty ``updated_since=`` is an invalid time, not
    an absent one.
    """

    article = FilterText(max_length=100, help_text="An article's slug.")
    status = serializers.ChoiceField(required=False, choices=Claim.Status.choices)
    rating = FilterText(max_length=40, help_text="A rating's code on the active scale (e.g. misleading).")
    tag = FilterText(max_length=100, help_text="A tag's slug.")
    section = FilterText(max_length=200, help_text="A section heading, exactly.")
    updated_since = TimeInRange(
        required=False, help_text="Only claims saved at or after this time (ISO 8601; before 1900 counts as 1900)."
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class WithdrawnSerializer(ErrorSerializer):
    """A claim readers could see that was withdrawn since (410 Gone): when and why, and what readers
    saw until then, as the claim's page says it."""

    detail = serializers.SerializerMethodField()
    id = serializers.IntegerField(source="claim_pk", help_text="The claim's id.")
    withdrawn_at = serializers.DateTimeField(source="created_at")
    reason = serializers.ChoiceField(
        choices=Withdrawal.Reason.choices, help_text="`deleted`, or `not_claim`: no longer treated as a claim."
    )
    note = serializers.CharField(help_text="Why, as the desk wrote it for readers (may be empty).")
    article = serializers.CharField(source="article.slug", help_text="The article's slug.")
    statement = serializers.CharField(help_text="The statement as readers saw it until then.")
    status = serializers.ChoiceField(choices=Claim.Status.choices, help_text="The verdict readers saw until then.")
    verdict_note = serializers.CharField()
    html_url = serializers.SerializerMethodField(help_text="The claim's page, which says the same.")
    corrections_url = serializers.SerializerMethodField(help_text="Its entry in the corrections log.")

    @extend_schema_field(OpenApiTypes.STR)
    def get_detail(self, withdrawal):
        when = date_format(template_localtime(withdrawal.created_at), "DATE_FORMAT")
        return _(
            "On %(when)s the desk withdrew this claim and its verdict: readers no longer see it in the article."
        ) % {"when": when}

    @extend_schema_field(OpenApiTypes.URI)
    def get_html_url(self, withdrawal):
        return _absolute(self, withdrawal.get_absolute_url())

    @extend_schema_field(OpenApiTypes.URI)
    def get_corrections_url(self, withdrawal):
        return _absolute(self, f"{reverse('claims:corrections')}#withdrawal-{withdrawal.pk}")
