"""The site around the claims: page-cache revisions, edge purges, editors' public profiles and 運営者情報."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..validators import validate_visible_text


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
