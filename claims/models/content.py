"""Articles, claims, their evidence and the rating scale they are rated on."""

import re
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from taggit.managers import TaggableManager

from ..validators import validate_archive_url, validate_visible_text

PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
# Evidence links and archived copies: the web only, never javascript:, data: or file:.
web_url_validator = URLValidator(
    schemes=["http", "https"], message=_("Enter a web address that starts with http:// or https://.")
)


def validate_partial_date(value):
    if value and not PARTIAL_DATE.match(value):
        raise ValidationError(_("Enter a date as YYYY, YYYY-MM or YYYY-MM-DD."), code="partial_date")


# The evidence fields an editor writes (in the inline and the CSV); the rest is the link checker's.
EVIDENCE_FIELDS = ["stance", "url", "title", "publisher", "published", "accessed", "archive_url", "excerpt"]


class WebURLField(models.URLField):
    """A URL field for http(s) addresses whose form assumes https:// when none is typed."""

    default_validators = [web_url_validator]

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """What readers may see: the one place that decides it."""
        return self.filter(is_published=True)


class Article(models.Model):
    title = models.CharField(_("title"), max_length=200, validators=[validate_visible_text])
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    lead = models.TextField(
        _("lead"), blank=True, max_length=2000, validators=[validate_visible_text, MaxLengthValidator(2000)]
    )
    body = models.TextField(
        _("body"),
        validators=[validate_visible_text],
        help_text=_("Paragraphs separated by blank lines; a line starting with “## ” is a section heading."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="ja")
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("publication date"), null=True, blank=True)
    written = models.CharField(
        _("written"),
        max_length=10,
        blank=True,
        validators=[validate_partial_date],
        help_text=_(
            "When the text was written or first published elsewhere (YYYY, YYYY-MM or YYYY-MM-DD), if "
            "before its publication here: its claims are dated from it in ClaimReview."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    corrected_at = models.DateTimeField(
        _("last corrected"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When its text or one of its published verdicts was last corrected (set by the workflow)."),
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "title"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.slug == settings.HOME_ARTICLE_SLUG:
            return reverse("claims:home")
        return reverse("claims:article", kwargs={"slug": self.slug})


class ClaimQuerySet(models.QuerySet):
    def public(self):
        """Claims readers may see: real claims of published articles."""
        return self.filter(is_claim=True, article__is_published=True)

    @staticmethod
    def unrated_decided_q():
        """Claims with a verdict but no rating yet (the editorial pass rates them)."""
        return Q(is_claim=True, rating__isnull=True) & ~Q(status=ClaimStatus.PENDING)

    def unrated_decided(self):
        return self.filter(self.unrated_decided_q())

    def due_for_recheck(self, today=None):
        return self.filter(is_claim=True, recheck_after__lte=today or timezone.localdate())


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Unverified")
    VERIFIED = "verified", _("Verified")
    DISPUTED = "disputed", _("Disputed")
    UNSUPPORTED = "unsupported", _("Unsupported")
    OUTDATED = "outdated", _("Outdated")


# The order of the legend, the summary bar and the filters: decided first, undecided last.
ClaimStatus.LEGEND_ORDER = [
    ClaimStatus.VERIFIED,
    ClaimStatus.DISPUTED,
    ClaimStatus.UNSUPPORTED,
    ClaimStatus.OUTDATED,
    ClaimStatus.PENDING,
]


class EvidenceStance(models.TextChoices):
    SUPPORTS = "supports", _("Supports")
    REFUTES = "refutes", _("Refutes")
    CONTEXT = "context", _("Context")


NOT_A_CLAIM = "not_a_claim"  # Rating.status of a rating for statements that are not claims (FIJ 検証対象外)


class RatingScaleQuerySet(models.QuerySet):
    def active(self):
        """The scale editors rate on now (at most one: a database constraint)."""
        return self.filter(is_active=True).first()


class RatingScale(models.Model):
    """A published scale of ratings (FIJ's by default) that a desk rates decided claims on.

    The desk may switch to another scale, or write its own, in the admin: every rating, its
    labels, definition, status and ClaimReview value are data. The one active scale is what the
    admin, the CSV import and /method/ offer; a claim keeps the rating it was given.
    """

    name = models.CharField(_("name"), max_length=100, validators=[validate_visible_text])
    source_name = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        validators=[validate_visible_text],
        help_text=_("Who publishes the scale: named on /method/ as its source."),
    )
    source_url = WebURLField(_("source address"), max_length=500, blank=True)
    is_active = models.BooleanField(
        _("active"), default=False, help_text=_("The scale editors rate on now; making one active ends the other.")
    )

    objects = RatingScaleQuerySet.as_manager()

    class Meta:
        ordering = ["-is_active", "name"]
        verbose_name = _("rating scale")
        verbose_name_plural = _("rating scales")
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="ratingscale_one_active"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("claims:method") + "#ratings"

    def validate_constraints(self, exclude=None):
        """Making a scale active ends the one before (services.standards.rating_scale_save), so a
        form does not refuse it: the database constraint still holds at the write."""
        super().validate_constraints(exclude={*(exclude or ()), "is_active"})

    @cached_property
    def _review_values(self):
        return [value for value in self.ratings.values_list("review_value", flat=True) if value is not None]

    @property
    def best_value(self):
        """The highest ClaimReview value of the scale (ClaimReview's bestRating)."""
        return max(self._review_values, default=None)

    @property
    def worst_value(self):
        """The lowest ClaimReview value of the scale (ClaimReview's worstRating)."""
        return min(self._review_values, default=None)


class RatingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(scale__is_active=True)


class Rating(models.Model):
    """How true a decided claim is, within its status: one rating of a scale."""

    NOT_A_CLAIM = NOT_A_CLAIM

    scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="ratings", verbose_name=_("scale"))
    code = models.SlugField(_("code"), max_length=40, help_text=_("Written in the CSV file's rating column."))
    label_ja = models.CharField(_("Japanese label"), max_length=40, validators=[validate_visible_text])
    label_en = models.CharField(_("English label"), max_length=60, validators=[validate_visible_text])
    definition_ja = models.TextField(_("Japanese definition"), max_length=1000, validators=[validate_visible_text])
    definition_en = models.TextField(_("English definition"), max_length=1000, validators=[validate_visible_text])
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=[*ClaimStatus.choices, (NOT_A_CLAIM, _("Not a claim"))],
        help_text=_("The status a claim with this rating has (outdated claims keep a verified or disputed rating)."),
    )
    review_value = models.PositiveSmallIntegerField(
        _("ClaimReview value"),
        null=True,
        blank=True,
        help_text=_("Its ratingValue in ClaimReview (higher is truer); blank publishes no number."),
    )
    needs_note = models.BooleanField(
        _("needs a caveat note"),
        default=False,
        help_text=_("A claim with this rating needs a verdict note that names the caveat or the missing context."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = RatingQuerySet.as_manager()

    class Meta:
        ordering = ["scale", "order", "pk"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["scale", "code"], name="rating_code_unique_per_scale"),
            models.CheckConstraint(
                condition=Q(status__in=[*ClaimStatus.values, NOT_A_CLAIM]), name="rating_status_known"
            ),
        ]

    def __str__(self):
        return self.label

    def get_absolute_url(self):
        return reverse("claims:method") + f"#rating-{self.code}"

    @property
    def label(self):
        """The label in the language of the page (Japanese unless English is on)."""
        return self.label_en if translation.get_language() == "en" else self.label_ja

    @property
    def definition(self):
        return self.definition_en if translation.get_language() == "en" else self.definition_ja

    @property
    def labels(self):
        """Every name the CSV import accepts for it: the code and both labels."""
        return [self.code, self.label_ja, self.label_en]


class Claim(models.Model):
    Status = ClaimStatus

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="claims", verbose_name=_("article"))
    # The anchor, as a W3C Web Annotation TextQuoteSelector plus a TextPositionSelector's start.
    statement = models.TextField(
        _("statement"), max_length=2000, validators=[validate_visible_text, MaxLengthValidator(2000)]
    )
    prefix = models.CharField(_("text before"), max_length=64, blank=True)
    suffix = models.CharField(_("text after"), max_length=64, blank=True)
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Offset of the statement in the article body.")
    )
    is_anchored = models.BooleanField(
        _("anchored"), default=True, help_text=_("Off when the statement can no longer be found in the article text.")
    )
    section = models.CharField(_("section"), max_length=200, blank=True)
    is_claim = models.BooleanField(
        _("is a claim"),
        default=True,
        help_text=_("Off for opinion, rhetoric or scene-setting: not checked and not proposed again."),
    )

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    rating = models.ForeignKey(
        Rating,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("rating"),
        help_text=_("How true it is, within its status, on the desk's rating scale (see /method/)."),
    )
    verdict_note = models.TextField(
        _("verdict note"),
        blank=True,
        max_length=4000,
        validators=[validate_visible_text, MaxLengthValidator(4000)],
        help_text=_("Public: why this status."),
    )
    internal_note = models.TextField(
        _("internal note"),
        blank=True,
        max_length=4000,
        validators=[validate_visible_text, MaxLengthValidator(4000)],
        help_text=_("Editors only; never shown to readers."),
    )
    as_of = models.DateField(
        _("as of"), null=True, blank=True, help_text=_("When the statement was true (month precision).")
    )
    recheck_after = models.DateField(_("recheck after"), null=True, blank=True)
    last_checked = models.DateField(_("last checked"), null=True, blank=True)
    tags = TaggableManager(_("tags"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Moves only when what a reviewer signs off could differ: the sentence, the anchor, the verdict
    # or its evidence (not a position shift from an edit elsewhere in the article). A proposal is
    # stale when it moved since the proposal was made.
    verdict_version = models.PositiveIntegerField(_("verdict version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["article", "position", "pk"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        permissions = [("import_claim", _("Can import claims from CSV"))]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_known"),
            models.CheckConstraint(condition=~Q(statement=""), name="claim_statement_not_empty"),
            models.CheckConstraint(
                condition=~Q(status=ClaimStatus.OUTDATED) | (Q(as_of__isnull=False) & ~Q(verdict_note="")),
                name="claim_outdated_has_as_of_and_note",
                violation_error_message=_(
                    "Outdated needs an “as of” date and a verdict note that says what has changed."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ClaimStatus.DISPUTED, ClaimStatus.UNSUPPORTED]) | ~Q(verdict_note=""),
                name="claim_disputed_or_unsupported_has_note",
                violation_error_message=_("Disputed and unsupported need a verdict note."),
            ),
            models.UniqueConstraint(
                fields=["article", "position"], condition=Q(is_anchored=True), name="claim_one_per_anchored_statement"
            ),
        ]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["recheck_after"])]

    def __str__(self):
        return self.statement[:60]

    def get_absolute_url(self):
        return reverse("claims:claim", kwargs={"pk": self.pk})

    @property
    def anchor_id(self):
        return f"claim-{self.pk}"

    def get_article_url(self):
        """The claim's place in the article (only meaningful while anchored)."""
        return f"{self.article.get_absolute_url()}#{self.anchor_id}"

    @property
    def is_due_for_recheck(self):
        return bool(self.recheck_after and self.recheck_after <= timezone.localdate())

    def clean(self):
        if not self.statement.strip():
            raise ValidationError({"statement": _("The statement is empty.")})


class LinkStatus(models.TextChoices):
    UNCHECKED = "unchecked", _("Not checked yet")
    OK = "ok", _("Working")
    FAILING = "failing", _("Failed once")
    DEAD = "dead", _("Dead")


class Evidence(models.Model):
    Stance = EvidenceStance
    LinkStatus = LinkStatus

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("claim"))
    url = WebURLField(_("URL"), max_length=2000, validators=[validate_visible_text])
    title = models.CharField(_("title"), max_length=300, blank=True, validators=[validate_visible_text])
    publisher = models.CharField(_("publisher"), max_length=200, blank=True, validators=[validate_visible_text])
    published = models.CharField(
        # Not 公開 ("published", as an article is): the date the source itself came out.
        pgettext_lazy("evidence", "date of the source"),
        max_length=10,
        blank=True,
        validators=[validate_partial_date],
        help_text=_("YYYY, YYYY-MM or YYYY-MM-DD."),
    )
    stance = models.CharField(_("stance"), max_length=16, choices=Stance.choices, default=Stance.CONTEXT)
    archive_url = WebURLField(
        _("archived copy"),
        max_length=2000,
        blank=True,
        validators=[validate_visible_text, validate_archive_url],
        help_text=_("Only a web archive (web.archive.org, archive.today) or a snapshot of this site."),
    )
    excerpt = models.TextField(
        _("excerpt"), blank=True, max_length=1000, validators=[validate_visible_text, MaxLengthValidator(1000)]
    )
    accessed = models.DateField(_("accessed"), null=True, blank=True)
    # The last visit of manage.py check_links (never of a page request).
    link_status = models.CharField(
        _("link status"), max_length=16, choices=LinkStatus.choices, default=LinkStatus.UNCHECKED, db_index=True
    )
    link_status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    link_checked_at = models.DateTimeField(_("link checked"), null=True, blank=True)
    link_failures = models.PositiveSmallIntegerField(
        _("failed checks in a row"), default=0, help_text=_("Consecutive checks that found the link broken.")
    )
    link_error = models.CharField(_("link problem"), max_length=200, blank=True)

    class Meta:
        ordering = ["claim", "stance", "pk"]
        verbose_name = _("evidence link")
        verbose_name_plural = _("evidence links")
        constraints = [
            models.CheckConstraint(condition=Q(stance__in=EvidenceStance.values), name="evidence_stance_known"),
            models.CheckConstraint(
                condition=Q(url__startswith="http://") | Q(url__startswith="https://"), name="evidence_url_is_web"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return self.claim.get_absolute_url()


class ReviewQueueItem(Claim):
    """The editors' review queue: the same claims, listed by what needs doing."""

    class Meta:
        proxy = True
        verbose_name = _("review queue item")
        verbose_name_plural = _("review queue")
