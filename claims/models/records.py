"""The editorial record around a claim: its status history, proposals and their sign-off, withdrawals,
article corrections and readers' reports."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..validators import validate_visible_text
from .content import Article, Claim, ClaimStatus, WebURLField


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

    def at_address(self, claim_pk):
        """The withdrawal a claim's address answers with (410, on the page and in the API): the
        newest one readers had seen, not undone since, of a published article; or None."""
        return (
            self.filter(claim_pk=claim_pk, was_public=True, reinstated_at__isnull=True, article__is_published=True)
            .select_related("article")
            .first()
        )


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
