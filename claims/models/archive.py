"""Saved copies of cited sources (claims/archiving.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .content import Evidence


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
