"""The article admin: an article's text is saved through ``article_update``, which re-anchors its claims,
and the editor is told exactly what the save did to them."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from claims import services
from claims.models import (
    Article,
)
from claims.templatetags.claims_tags import status_badge

from .actions import create_claims_action
from .forms import ArticleAdminForm
from .versions import ArticleVersionAdmin


@admin.register(Article)
class ArticleAdmin(ArticleVersionAdmin):
    list_display = ["title", "slug", "is_published", "published_at", "claim_count", "updated_at"]
    list_filter = ["is_published", "language"]
    search_fields = ["title", "lead", "body"]
    readonly_fields = ["preview", "coverage"]
    actions = [create_claims_action]
    form = ArticleAdminForm
    fields = [
        "title",
        "slug",
        "lead",
        "body",
        "preview",
        "correction_note",
        "language",
        "is_published",
        "published_at",
        "written",
        "coverage",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_total=Count("claims", filter=Q(claims__is_claim=True)))

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The slug is not filled in from the title: a Japanese title would give ``ai`` or nothing.
        The editor writes one, with a hint beside the field."""
        form = super().get_form(request, obj, change=change, **kwargs)
        slug = form.base_fields.get("slug")
        if slug is not None:
            slug.help_text = gettext(
                "The article’s address: lower-case Latin letters, digits and hyphens, for example "
                "hundred-model-war for /articles/hundred-model-war/. Write it yourself: it is not made from a "
                "Japanese title."
            )
            slug.widget.attrs.setdefault("placeholder", "hundred-model-war")
        return form

    @admin.display(description=_("preview"))
    def preview(self, obj):
        """The saved article as readers will see it, badges included; a draft opens for editors only."""
        if not obj or not obj.pk:
            return gettext("Save the article to preview it.")
        text = (
            gettext("Open the saved article as readers see it")
            if obj.is_published
            else gettext("Preview the saved draft (only editors can open it)")
        )
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', obj.get_absolute_url(), text)

    @admin.display(description=_("claims"), ordering="claim_total")
    def claim_count(self, obj):
        return obj.claim_total

    @admin.display(description=_("coverage"))
    def coverage(self, obj):
        if not obj.pk:
            return "—"
        cov = services.article_coverage(obj)
        changelist = reverse("admin:claims_claim_changelist")
        cells = [
            format_html(
                '<li><a href="{}?article__id__exact={}&status__exact={}">{}</a>: {}</li>',
                changelist,
                obj.pk,
                status,
                status_badge(status),
                count,
            )
            for status, count in cov.by_status.items()
        ]
        return format_html(
            '<ul class="coverage"><li>{}: {}</li>{}<li>{}: {}</li><li><strong>{}: {}</strong></li><li>{}: {}</li>'
            '<li><a href="{}?why=sign_off&article__id__exact={}">{}</a>: {}</li>'
            '<li><a href="{}?rated=no&article__id__exact={}">{}</a>: {}</li></ul>',
            gettext("Statements"),
            cov.statements,
            format_html_join("", "{}", ((cell,) for cell in cells)),
            gettext("Not a claim"),
            cov.not_claims,
            gettext("Statements not yet decided"),
            cov.undecided,
            gettext("Unanchored claims"),
            cov.unanchored,
            reverse("admin:claims_reviewqueueitem_changelist"),
            obj.pk,
            gettext("Awaiting sign-off"),
            cov.awaiting_sign_off,
            changelist,
            obj.pk,
            gettext("Decided but not rated"),
            cov.unrated,
        )

    def save_model(self, request, obj, form, change):
        report = services.article_update(
            article=obj, user=request.user, correction_note=form.cleaned_data.get("correction_note")
        )
        self._report_edit(request, report)

    def _report_edit(self, request, report):
        """Exactly what this save did to the article's claims."""

        def listing(claims):
            return ", ".join(f"#{claim.pk}" for claim in claims)

        if report.moved:
            self.message_user(
                request,
                ngettext(
                    "%(count)d claim moved with its sentence: %(claims)s.",
                    "%(count)d claims moved with their sentences: %(claims)s.",
                    len(report.moved),
                )
                % {"count": len(report.moved), "claims": listing(report.moved)},
                messages.INFO,
            )
        if report.reworded:
            self.message_user(
                request,
                ngettext(
                    "%(count)d claim’s sentence was reworded, so it went back to review: %(claims)s.",
                    "%(count)d claims’ sentences were reworded, so they went back to review: %(claims)s.",
                    len(report.reworded),
                )
                % {"count": len(report.reworded), "claims": listing(report.reworded)},
                messages.WARNING,
            )
        if report.unanchored:
            self.message_user(
                request,
                ngettext(
                    "%(count)d claim lost its place in the text and is now unanchored; see the review queue: %(claims)s.",
                    "%(count)d claims lost their place in the text and are now unanchored; see the review queue: %(claims)s.",
                    len(report.unanchored),
                )
                % {"count": len(report.unanchored), "claims": listing(report.unanchored)},
                messages.WARNING,
            )
