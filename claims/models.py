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

from .validators import validate_archive_url, validate_visible_text

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


class SnapshotKind(models.TextChoices):
    ARCHIVE = "archive", _("taken when cited")
    CHECK = "check", _("taken by a link check")


class SnapshotDrift(models.TextChoices):
    NONE = "", _("unchanged")
    GONE = "gone", _("the source is gone")
    MOVED = "moved", _("the source moved to another address")
    EXCERPT = "excerpt", _("the excerpt is no longer in the source")
    CHANGED = "changed", _("the source's text changed")


class SnapshotQuerySet(models.QuerySet):
    def kept(self):
        """The copies readers are offered: taken when the source was cited, with text or a Wayback URL."""
        readable = Q(status_code__gte=200, status_code__lt=300) & ~Q(text="")
        return self.filter(readable | ~Q(wayback_url=""), kind=SnapshotKind.ARCHIVE)

    def drifted(self):
        """Changes of a source that no editor has looked at yet (the review queue's 出典の変化)."""
        return self.exclude(drift="").filter(reviewed_at__isnull=True)


class Snapshot(models.Model):
    """What an evidence link's source said when it was fetched (claims/archiving.py).

    ``archive`` snapshots are taken when the source is cited (and by ``archive_evidence``); readers
    are offered the latest one. ``check`` snapshots are kept only when ``check_links`` found the
    source changed, gone or moved since; they wait in the review queue until an editor has looked.
    The text is the page's main text as an extractor found it, shown to readers as plain text; the
    response itself is kept as a WARC record in the default storage.
    """

    Kind = SnapshotKind
    Drift = SnapshotDrift

    evidence = models.ForeignKey(
        Evidence, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("evidence link")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ARCHIVE)
    url = models.URLField(_("URL fetched"), max_length=2000)
    final_url = models.URLField(_("final URL"), max_length=2000, blank=True)
    fetched_at = models.DateTimeField(_("fetched"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    text = models.TextField(_("text"), blank=True)
    text_sha256 = models.CharField(_("SHA-256 of the text"), max_length=64, blank=True)
    warc = models.FileField(_("WARC file"), upload_to="snapshots/%Y/%m/", max_length=300, blank=True)
    wayback_url = models.URLField(_("Wayback Machine copy"), max_length=2000, blank=True)
    error = models.CharField(_("problem"), max_length=300, blank=True)
    drift = models.CharField(_("change of the source"), max_length=16, choices=Drift.choices, blank=True)
    compared_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("compared to")
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-fetched_at", "-pk"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SnapshotKind.values), name="snapshot_kind_known"),
            models.CheckConstraint(condition=Q(drift__in=SnapshotDrift.values), name="snapshot_drift_known"),
        ]
        indexes = [models.Index(fields=["evidence", "kind", "-fetched_at"])]

    def __str__(self):
        return f"{self.url} ({self.fetched_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self):
        return reverse("claims:snapshot", kwargs={"pk": self.pk})

    @property
    def reader_url(self):
        """Where readers read the copy: the Wayback Machine's when there is one, else our page."""
        return self.wayback_url or self.get_absolute_url()


class StatusChangeQuerySet(models.QuerySet):
    def corrections(self):
        """Changes of a verdict readers had already seen: not a first verdict, not the initial load."""
        return self.exclude(from_status=ClaimStatus.PENDING).exclude(via=StatusChange.Via.LOAD)

    def public(self):
        return self.filter(claim__in=Claim.objects.public())


class StatusChange(models.Model):
    class Via(models.TextChoices):
        ADMIN = "admin", _("admin form")
        BULK = "bulk", _("bulk action")
        IMPORT = "import", _("import")
        COMMAND = "command", _("command")
        ARTICLE = "article", _("article edit")
        RESTORE = "restore", _("version restore")
        LOAD = "load", _("initial load")

    class Kind(models.TextChoices):
        STATUS = "status", _("status change")
        WITHDRAWN = "withdrawn", _("withdrawn: marked not a claim")
        REINSTATED = "reinstated", _("public again")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="history", verbose_name=_("claim"))
    kind = models.CharField(_("kind of change"), max_length=16, choices=Kind.choices, default=Kind.STATUS)
    from_status = models.CharField(_("from"), max_length=16, choices=Claim.Status.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=Claim.Status.choices)
    note = models.TextField(_("note"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("who")
    )
    via = models.CharField(_("how"), max_length=16, choices=Via.choices)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
        help_text=_("The second person who signed the change off."),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = StatusChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status history")

    def __str__(self):
        if self.kind != self.Kind.STATUS:
            return f"{self.get_kind_display()} ({self.get_to_status_display()})"
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    def get_absolute_url(self):
        return self.claim.get_absolute_url()

    @property
    def public_note(self):
        """The note readers see on the claim page and in the feed; the admin shows ``note`` in full.

        An import's note ("Imported from claims.csv") is bookkeeping for editors and names an
        internal file, so readers get none: the status change and its date say what changed.
        Hidden here rather than no longer written, so that the rows already imported are hidden
        too and the editors keep the file name in the admin history.
        """
        return "" if self.via in (self.Via.IMPORT, self.Via.LOAD) else self.note


class ProposalQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=Proposal.State.OPEN)


class Proposal(models.Model):
    """A change to what readers see of a claim, made by one person, waiting for another to sign it off.

    It holds the values it would set (status, verdict note, "as of") and the evidence as it would
    be, and the claim's version they were proposed against. Readers see none of it until a chief
    editor who is not the proposer approves it; then it goes through the write path like any edit.
    """

    class Action(models.TextChoices):
        CHANGE = "change", _("change")
        DELETE = "delete", _("deletion")
        RECOVER = "recover", _("recovery")

    class State(models.TextChoices):
        OPEN = "open", _("awaiting sign-off")
        APPROVED = "approved", _("approved")
        SENT_BACK = "sent_back", _("sent back")
        WITHDRAWN = "withdrawn", _("replaced by a newer proposal")

    # None for a recovery (the claim does not exist yet) and once an approved deletion removed it.
    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposals", verbose_name=_("claim")
    )
    claim_pk = models.PositiveIntegerField(_("claim number"), null=True, blank=True)
    action = models.CharField(_("proposed act"), max_length=16, choices=Action.choices, default=Action.CHANGE)
    # A recovery: the deletion's snapshot (a django-reversion Version of the claim) to bring back.
    version_id = models.PositiveIntegerField(_("deleted version"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True)
    values = models.JSONField(_("proposed values"), default=dict, blank=True)
    evidence = models.JSONField(_("proposed evidence"), null=True, blank=True)
    base_version = models.PositiveIntegerField(_("claim version proposed against"))
    note = models.TextField(_("note for the history"), blank=True)
    via = models.CharField(_("how"), max_length=16, choices=StatusChange.Via.choices)
    batch = models.CharField(
        _("batch"), max_length=200, blank=True, db_index=True, help_text=_("The import a proposal came with.")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="proposals",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("proposed"), default=timezone.now, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_comment = models.TextField(
        _("comment for the proposer"), blank=True, validators=[validate_visible_text, MaxLengthValidator(2000)]
    )

    objects = ProposalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        permissions = [("approve_proposal", _("Can sign off other people's proposals"))]
        constraints = [
            models.UniqueConstraint(fields=["claim"], condition=Q(state="open"), name="proposal_one_open_per_claim"),
        ]
        # The list's order, alone and within a state or a batch: a page of 5,000 open proposals
        # reads its 100 rows from an index instead of sorting them all.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="proposal_recent"),
            models.Index(fields=["state", "-created_at", "-id"], name="proposal_state_recent"),
            models.Index(fields=["batch", "-created_at", "-id"], name="proposal_batch_recent"),
        ]

    def __str__(self):
        return _("Proposal #%(pk)s for claim #%(claim)s") % {"pk": self.pk, "claim": self.claim_id or self.claim_pk}

    def get_absolute_url(self):
        return reverse("admin:claims_proposal_change", args=[self.pk])

    @property
    def is_stale(self):
        """The claim's sentence or verdict changed since this was proposed: look again before approval.

        A shift of its position from an edit elsewhere in the article does not count."""
        return self.claim is not None and self.claim.verdict_version != self.base_version


class WithdrawalQuerySet(models.QuerySet):
    def public(self):
        """Withdrawn verdicts readers had seen, of published articles: listed in 訂正履歴 and the feed."""
        return self.filter(was_public=True, article__is_published=True).exclude(status=ClaimStatus.PENDING)


class Withdrawal(models.Model):
    """A claim that stopped being public (marked not a claim, or deleted): what readers saw, when, why.

    It outlives a deleted claim, so the claim's address can still say what happened to it; it
    also names the deletion's snapshot, the only version a recovery may bring back.
    """

    class Reason(models.TextChoices):
        NOT_A_CLAIM = "not_claim", _("marked not a claim")
        DELETED = "deleted", _("deleted")

    claim_pk = models.PositiveIntegerField(_("claim number"), db_index=True)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="withdrawals", verbose_name=_("article")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    statement = models.TextField(_("statement"))
    status = models.CharField(_("status readers saw"), max_length=16, choices=ClaimStatus.choices)
    verdict_note = models.TextField(_("verdict note readers saw"), blank=True)
    note = models.TextField(_("why"), blank=True, help_text=_("Public: why the claim was withdrawn."))
    was_public = models.BooleanField(_("was public"), default=True)
    snapshot_version_id = models.PositiveIntegerField(_("deletion snapshot"), null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("who")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    reinstated_at = models.DateTimeField(_("public again"), null=True, blank=True)

    objects = WithdrawalQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")

    def __str__(self):
        return _("Claim #%(pk)s withdrawn") % {"pk": self.claim_pk}

    def get_absolute_url(self):
        return reverse("claims:claim", kwargs={"pk": self.claim_pk})


class ProposalJob(models.Model):
    """Many proposals approved or sent back at once, by the task worker (claims/services/proposal_jobs.py).

    It keeps which proposals were chosen and how far the worker got, which its page shows.
    """

    class Action(models.TextChoices):
        APPROVE = "approve", _("approve")
        SEND_BACK = "send_back", _("send back")

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the worker")
        RUNNING = "running", _("in progress")
        DONE = "done", _("finished")
        FAILED = "failed", _("stopped with an error")

    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("who")
    )
    comment = models.TextField(_("comment for the proposer"), blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    proposals = models.JSONField(_("proposals"), default=list)
    total = models.PositiveIntegerField(_("proposals chosen"), default=0)
    done = models.PositiveIntegerField(_("proposals handled"), default=0)
    succeeded = models.PositiveIntegerField(_("approved or sent back"), default=0)
    refused = models.JSONField(_("refused"), default=list, help_text=_("[[proposal id, reason], …]"))
    refused_count = models.PositiveIntegerField(_("refused"), default=0)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("sign-off job")
        verbose_name_plural = _("sign-off jobs")

    def __str__(self):
        return _("Sign-off job #%(pk)s") % {"pk": self.pk}

    def get_absolute_url(self):
        return reverse("admin:claims_proposal_job", args=[self.pk])

    @property
    def is_running(self):
        return self.state in (self.State.QUEUED, self.State.RUNNING)


class ArticleCorrection(models.Model):
    """A correction to a published article's text: the sentences before and after, and why."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("article")
    )
    note = models.TextField(
        _("correction note"),
        max_length=1000,
        validators=[validate_visible_text, MaxLengthValidator(1000)],
        help_text=_("Public: what was corrected and why."),
    )
    changes = models.JSONField(_("changed sentences"), default=list, help_text=_("[{before, after}, …]"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("who")
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("article correction")
        verbose_name_plural = _("article corrections")

    def __str__(self):
        return self.note[:60]

    def get_absolute_url(self):
        return f"{reverse('claims:corrections')}#article-correction-{self.pk}"


class Report(models.Model):
    """A reader's report of an error in a claim, or a sentence they suggest checking."""

    class State(models.TextChoices):
        RECEIVED = "received", _("received")
        REVIEWING = "reviewing", _("reviewing")
        CORRECTED = "corrected", _("corrected")
        DECLINED = "declined", _("declined")

    OPEN_STATES = [State.RECEIVED, State.REVIEWING]

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reports", verbose_name=_("article"))
    claim = models.ForeignKey(
        Claim, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports", verbose_name=_("claim")
    )
    sentence = models.TextField(
        _("sentence"), blank=True, max_length=2000, help_text=_("For a sentence with no claim.")
    )
    message = models.TextField(
        _("what is wrong"), max_length=2000, validators=[validate_visible_text, MaxLengthValidator(2000)]
    )
    source_url = WebURLField(_("source"), max_length=2000, blank=True, validators=[validate_visible_text])
    contact = models.EmailField(
        _("contact address"), blank=True, help_text=_("Never public; deleted when the report is closed.")
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RECEIVED, db_index=True)
    internal_note = models.TextField(
        _("internal note"), blank=True, max_length=4000, validators=[validate_visible_text, MaxLengthValidator(4000)]
    )
    public_reply = models.TextField(
        _("public reply"),
        blank=True,
        max_length=2000,
        validators=[validate_visible_text, MaxLengthValidator(2000)],
        help_text=_("Shown on the claim's page once the report is closed."),
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("reader report")
        verbose_name_plural = _("reader reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(source_url="") | Q(source_url__startswith="http://") | Q(source_url__startswith="https://"),
                name="report_source_is_web",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["received", "reviewing"]) | Q(contact=""), name="report_closed_keeps_no_contact"
            ),
        ]

    def __str__(self):
        return _("Report #%(pk)s") % {"pk": self.pk}

    def get_absolute_url(self):
        return reverse("admin:claims_report_change", args=[self.pk])

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES


class ReviewQueueItem(Claim):
    """The editors' review queue: the same claims, listed by what needs doing."""

    class Meta:
        proxy = True
        verbose_name = _("review queue item")
        verbose_name_plural = _("review queue")


class ContentRevision(models.Model):
    """One row whose number goes up in the same transaction as any change readers could see.

    Cached pages are keyed by it, so no app server can serve a page older than the last commit,
    whatever cache each server uses.
    """

    number = models.PositiveBigIntegerField(default=1)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("content revision")

    def __str__(self):
        return f"r{self.number}"


class ScopeRevision(models.Model):
    """The content revision at which one part of the site last changed (claims/caching/revision.py).

    ``scope`` names the part: ``index`` (every list, tag page, feed, sitemap), ``article-<slug>``,
    ``claim-<pk>``, ``tag-<pk>``, or ``all`` (every page, for a change that names nothing). A page
    is keyed by the scopes it shows, so an edit re-keys only the pages that show what it touched.
    """

    scope = models.CharField(max_length=200, unique=True)
    number = models.PositiveBigIntegerField()
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["scope"]
        verbose_name = _("scope revision")

    def __str__(self):
        return f"{self.scope}@r{self.number}"


class EdgePurge(models.Model):
    """The surrogate keys a committed change must purge at the edge (claims/caching/edge.py).

    Written in the same transaction as the change (a transactional outbox): a crash between the
    commit and the purge leaves the row pending, and ``manage.py purge_edge`` sends it later.
    Each row is sent twice: once after the commit, then again at ``repeat_at`` (set by the first
    send), once no app server can still be serving the old pages; ``sent_at`` is the second send.
    """

    keys = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    repeat_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("edge purge")
        indexes = [models.Index(fields=["sent_at"], name="edgepurge_pending")]

    def __str__(self):
        return f"purge #{self.pk}: {' '.join(self.keys)}"


class EditorProfile(models.Model):
    """An editor's public name, role and short bio: who checked and who approved a verdict.

    Each editor edits their own in the admin; a claim page names people by ``display_name``
    (or by ``role`` where the desk sets CLAIMS_SHOW_ROLES_NOT_NAMES).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="editor_profile", verbose_name=_("user")
    )
    display_name = models.CharField(
        _("display name"),
        max_length=100,
        validators=[validate_visible_text],
        help_text=_("Public: the name readers see on the claims you checked or approved."),
    )
    role = models.CharField(
        _("role"), max_length=100, blank=True, validators=[validate_visible_text], help_text=_("Public, e.g. 編集者.")
    )
    bio = models.TextField(
        _("short bio"),
        blank=True,
        max_length=600,
        validators=[validate_visible_text, MaxLengthValidator(600)],
        help_text=_("Public: a few sentences on who you are and what you know."),
    )

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("editor profile")
        verbose_name_plural = _("editor profiles")

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("claims:about") + f"#editor-{self.pk}"


class AboutPage(models.Model):
    """運営者情報: who publishes the site, who owns and funds it, its policies; one row, edited in the admin."""

    publisher = models.CharField(_("publisher"), max_length=200, validators=[validate_visible_text])
    needs_editing = models.BooleanField(
        _("still the placeholder text"),
        default=True,
        help_text=_("On until the desk has put its own operator, ownership and contact here: the admin warns."),
    )
    ownership = models.TextField(_("ownership"), max_length=3000, validators=[validate_visible_text])
    funding = models.TextField(_("funding sources"), max_length=3000, validators=[validate_visible_text])
    nonpartisanship = models.TextField(
        _("non-partisanship and conflicts of interest"), max_length=3000, validators=[validate_visible_text]
    )
    contact = models.TextField(_("contact"), max_length=1000, validators=[validate_visible_text])
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("who we are (運営者情報)")
        verbose_name_plural = _("who we are (運営者情報)")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="aboutpage_singleton")]

    def __str__(self):
        return str(_("Who we are"))

    def get_absolute_url(self):
        return reverse("claims:about")

    @classmethod
    def load(cls):
        """The one row (made from the migration's text if someone deleted it)."""
        page = cls.objects.filter(pk=1).first()
        return page if page is not None else cls(pk=1, publisher=str(_("The operator of this site")))
