"""The editors' workspace: claims, the review queue and the status history.

Every save here hands its change to the services (``claims.services``): the claim form and its
evidence inline together as one ``ClaimChange``, the bulk actions as a batch, an article's text
through ``article_update``, which re-anchors its claims. The claim form's inlines, articles, tags,
forms, filters, actions, versions and CSV import/export live in the modules beside this one.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from claims import services
from claims.models import (
    Claim,
    Evidence,
    Proposal,
    ReviewQueueItem,
    Snapshot,
    StatusChange,
)
from claims.templatetags.claims_tags import status_badge
from claims.text import sentences

from .actions import change_status_action, mark_claim_action, mark_not_claim_action
from .articles import ArticleAdmin  # noqa: F401 - registers the article admin
from .filters import (
    DueForRecheckFilter,
    EvidenceFilter,
    LinkStatusFilter,
    QueueReasonFilter,
    SectionFilter,
    UnratedFilter,
)
from .forms import ClaimAdminForm, formset_evidence
from .importexport import ClaimImportExportMixin
from .inlines import STANCE_FOR_STATUS, EvidenceInline, StatusChangeInline
from .libraries import DeskUserAdmin  # noqa: F401 - registers the libraries' screens with our labels
from .notices import proposal_message
from .proposals import ProposalAdmin  # noqa: F401 - registers the sign-off list
from .reports import ReportAdmin, open_reports  # noqa: F401 - ReportAdmin registers the readers' reports
from .sources import SnapshotAdmin  # noqa: F401 - registers the changes of sources (出典の変化)
from .standards import AboutPageAdmin, EditorProfileAdmin, RatingScaleAdmin  # noqa: F401 - registers them
from .tags import TagAdmin  # noqa: F401 - registers the tag admin
from .versions import ClaimVersionAdmin, delete_selected

Status = Claim.Status
Stance = Evidence.Stance


# ---------------------------------------------------------------------------------------------
# Claims


class ClaimAdminBase(ClaimVersionAdmin):
    form = ClaimAdminForm
    list_display = [
        "short_statement",
        "status_label",
        "rating_label",
        "kind",
        "article_slug",
        "short_section",
        "evidence_count",
        "due",
        "anchored",
    ]
    list_display_links = ["short_statement"]
    list_filter = [
        "status",
        ("rating", admin.RelatedOnlyFieldListFilter),
        UnratedFilter,
        "article",
        SectionFilter,
        "tags",
        DueForRecheckFilter,
        EvidenceFilter,
        LinkStatusFilter,
        "is_anchored",
        "is_claim",
    ]
    list_select_related = ["article", "rating"]
    search_fields = ["statement", "verdict_note", "internal_note"]
    inlines = [EvidenceInline, StatusChangeInline]
    actions = [delete_selected, change_status_action, mark_not_claim_action, mark_claim_action]
    readonly_fields = ["anchor_info", "last_checked", "public_links", "sign_off"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["article", "statement", "anchor_info", "is_claim", "public_links"]}),
        (
            _("Verdict"),
            {
                "fields": [
                    "sign_off",
                    "status",
                    "rating",
                    "status_note",
                    "verdict_note",
                    "as_of",
                    "recheck_after",
                    "last_checked",
                    "tags",
                ]
            },
        ),
        (_("Editors only"), {"fields": ["internal_note", "loaded_version"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                evidence_total=Count("evidence", distinct=True),
                has_dead_link=Exists(
                    Evidence.objects.filter(claim=OuterRef("pk"), link_status=Evidence.LinkStatus.DEAD)
                ),
                open_reports=open_reports(),
            )
        )

    def get_list_display(self, request):
        return [*super().get_list_display(request), "open_reports_count"]

    @admin.display(description=_("open reports"), ordering="open_reports")
    def open_reports_count(self, obj):
        count = getattr(obj, "open_reports", 0)
        if not count:
            return "—"
        return format_html('<a href="{}?claim={}">{}</a>', reverse("admin:claims_report_changelist"), obj.pk, count)

    @admin.display(description=_("statement"), ordering="position")
    def short_statement(self, obj):
        # Three lines of a wide column at 1366 px (admin.css clamps what is longer).
        text = obj.statement if len(obj.statement) <= 140 else obj.statement[:140] + "…"
        return format_html('<span class="statement-cell">{}</span>', text)

    @admin.display(description=_("article"), ordering="article__slug")
    def article_slug(self, obj):
        # The slug, not the long title: the statement column keeps its width at 1366 px.
        return obj.article.slug

    @admin.display(description=_("section"), ordering="position")
    def short_section(self, obj):
        return obj.section if len(obj.section) <= 24 else obj.section[:24] + "…"

    @admin.display(description=_("kind"), ordering="is_claim")
    def kind(self, obj):
        return gettext("claim") if obj.is_claim else gettext("not a claim")

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        return status_badge(obj.status)

    @admin.display(description=_("rating"), ordering="rating__order")
    def rating_label(self, obj):
        return obj.rating.label if obj.rating_id else "—"

    @admin.display(description=_("evidence"), ordering="evidence_total")
    def evidence_count(self, obj):
        return obj.evidence_total

    @admin.display(description=_("due for recheck"), ordering="recheck_after")
    def due(self, obj):
        """Only a claim that is due says so; one that is not due is simply not flagged (no red ✗)."""
        if obj.is_due_for_recheck:
            return format_html('<span class="due-now">{}</span>', gettext("due"))
        return ""

    @admin.display(description=_("anchored"), boolean=True, ordering="is_anchored")
    def anchored(self, obj):
        return obj.is_anchored

    @admin.display(description=_("place in the article"))
    def anchor_info(self, obj):
        if not obj.pk:
            return "—"
        if not obj.is_anchored:
            return format_html(
                '<strong class="unanchored">{}</strong>',
                gettext(
                    "Unanchored: this statement is no longer in the article text. Edit it to match a sentence, or delete the claim."
                ),
            )
        place = self._sentence_place(obj)
        if place is None:
            return format_html("{}", obj.section or "—")
        paragraph, sentence = place
        return format_html(
            "{} · {}",
            obj.section or "—",
            gettext("paragraph %(paragraph)d, sentence %(sentence)d") % {"paragraph": paragraph, "sentence": sentence},
        )

    @staticmethod
    def _sentence_place(obj):
        """(paragraph, sentence within it), both counted from 1, of the claim's sentence in its article."""
        counts = {}
        for sentence in sentences(obj.article.body):
            counts[sentence.paragraph] = counts.get(sentence.paragraph, 0) + 1
            if sentence.start == obj.position:
                return sentence.paragraph + 1, counts[sentence.paragraph]
        return None

    @admin.display(description=_("sign-off"))
    def sign_off(self, obj):
        """The form shows what readers see; proposals waiting for (or sent back from) sign-off are listed here."""
        proposals = list(obj.proposals.filter(state__in=["open", "sent_back"]).order_by("-pk")[:5]) if obj.pk else []
        if not proposals:
            return gettext("No proposal waiting. The values below are what readers see.")
        return format_html_join(
            "",
            '<p><a href="{}">{}</a>: {} ({}){}</p>',
            (
                (
                    p.get_absolute_url(),
                    p,
                    p.get_state_display(),
                    p.proposed_by or "—",
                    format_html(" — {}", p.review_comment) if p.review_comment else "",
                )
                for p in proposals
            ),
        )

    @admin.display(description=_("public pages"))
    def public_links(self, obj):
        if not obj.pk:
            return "—"
        links = [format_html('<a href="{}">{}</a>', obj.get_absolute_url(), gettext("Claim page"))]
        if obj.is_anchored and obj.is_claim:
            links.append(format_html('<a href="{}">{}</a>', obj.get_article_url(), gettext("Place in the article")))
        reports = obj.reports.count()
        if reports:
            links.append(
                format_html(
                    '<a href="{}?claim={}">{}</a>',
                    reverse("admin:claims_report_changelist"),
                    obj.pk,
                    ngettext("%(count)d reader report", "%(count)d reader reports", reports) % {"count": reports},
                )
            )
        return format_html_join(" · ", "{}", ((link,) for link in links))

    def changelist_view(self, request, extra_context=None):
        # A list to triage at 1366 px: the statement gets the width the navigation would take.
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "tag_options": self._tag_options(),
            "stance_for_status": dict(STANCE_FOR_STATUS),
        }
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # Refused by the workflow after the form was valid (someone saved meanwhile): nothing
            # was written (the admin view is one transaction); the editor reloads and decides again.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_formset_kwargs(self, request, obj, inline, prefix):
        """A new evidence row starts with the stance the claim's status needs (supports for verified).

        On a POST the status is the one the form sends, so the blank row the browser sends back
        (its stance set by claim-form.js to the same value) still counts as untouched.
        """
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        status = request.POST.get("status") if request.method == "POST" else getattr(obj, "status", None)
        stance = STANCE_FOR_STATUS.get(status)
        if isinstance(inline, EvidenceInline) and stance:
            kwargs["initial"] = [{"stance": stance}] * (inline.extra or 1)
        if isinstance(inline, EvidenceInline) and request.method == "POST":
            kwargs["ask_note_unchanged"] = request.POST.get("note_unchanged") == "ask"
        return kwargs

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """A refused save names the failed rule where the eye is: at the top of the form and next to
        the status field, not only above the evidence inline far below."""
        form = context["adminform"].form
        if obj is not None and obj.pk:
            # What the stored claim says, for claim-form.js's question (the form's object holds the
            # posted values on a POST); and whether this answer is the question itself.
            stored = (
                Claim.objects.filter(pk=obj.pk).values("status", "verdict_note").first()
                if form.is_bound
                else {"status": obj.status, "verdict_note": obj.verdict_note}
            ) or {}
            asked = any(
                error.code == "note_unchanged"
                for inline in context.get("inline_admin_formsets", ())
                if inline.formset.model is Evidence and inline.formset.is_bound
                for error in inline.formset.non_form_errors().as_data()
            )
            context["claim_stored"] = {
                "status": stored.get("status"),
                "note": stored.get("verdict_note") or "",
                "asked": asked,
            }
        rules = [
            error
            for inline in context.get("inline_admin_formsets", ())
            if inline.formset.model is Evidence and inline.formset.is_bound
            for error in inline.formset.non_form_errors()
        ]
        if rules and form.is_bound and hasattr(form, "cleaned_data"):
            for rule in rules:
                form.add_error(None, gettext("Not saved: %(rule)s") % {"rule": rule})
            form.add_error("status", rules)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _tag_options(self):
        return list(Tag.objects.order_by("name").values_list("name", flat=True)[:500])

    def save_model(self, request, obj, form, change):
        """Nothing is saved here: the claim and its evidence go to the workflow together (save_related)."""

    def save_related(self, request, form, formsets, change):
        evidence = None
        for formset in formsets:
            if formset.model is Evidence:
                evidence = formset_evidence(formset)
            else:  # the read-only history: nothing to save
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        claim_change = form.claim_change(evidence)
        result = services.claims_apply(changes=[claim_change], user=request.user, via=StatusChange.Via.ADMIN)
        saved = result.outcomes[0].claim if result.outcomes else form.instance
        form.instance.pk = saved.pk
        form.instance.version = saved.version
        request.claims_proposals = result.proposals  # response_change says so instead of "changed"
        for proposal in result.proposals:
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    proposal_message(1, len(result.replaced)),
                    proposal.get_absolute_url(),
                    gettext("See proposal #%(pk)s.") % {"pk": proposal.pk},
                ),
                messages.WARNING,
            )

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "claims_proposals", None):
            return self._response_proposed(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "claims_proposals", None):
            return self._response_proposed(request, obj)
        return super().response_change(request, obj)

    def _response_proposed(self, request, obj):
        """Under sign-off nothing readers see has changed yet: the proposal's notice is the only
        message (Django's 「…を変更しました」 beside it would say the opposite)."""
        if "_continue" in request.POST and obj.pk:
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk], current_app=self.admin_site.name
                )
            )
        return self.response_post_save_change(request, obj)


@admin.register(Claim)
class ClaimAdmin(ClaimImportExportMixin, ClaimAdminBase):
    """Claims, with CSV import (chief editors) and export (anyone who may view claims)."""


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(ClaimAdminBase):
    """What needs an editor: undecided claims, claims due for recheck, claims that lost their place
    or a source (a dead evidence link)."""

    list_display = [
        "short_statement",
        "status_label",
        "rating_label",
        "kind",
        "reason",
        "article_slug",
        "evidence_count",
        "recheck_after",
    ]
    list_filter = [QueueReasonFilter, *ClaimAdminBase.list_filter]

    def get_queryset(self, request):
        today = timezone.localdate()
        return (
            super()
            .get_queryset(request)
            .filter(is_claim=True)
            .annotate(
                awaiting_sign_off=Exists(Proposal.objects.open().filter(claim=OuterRef("pk"))),
                source_changed=Exists(Snapshot.objects.drifted().filter(evidence__claim=OuterRef("pk"))),
            )
            .filter(
                Q(status=Status.PENDING)
                | Q(recheck_after__lte=today)
                | Q(is_anchored=False)
                | Q(has_dead_link=True)
                | Q(awaiting_sign_off=True)
                | Q(open_reports__gt=0)
                | Claim.objects.unrated_decided_q()
                | Q(source_changed=True)
            )
        )

    @admin.display(description=_("why it is here"))
    def reason(self, obj):
        reasons = []
        if not obj.is_anchored:
            reasons.append(gettext("unanchored"))
        if obj.is_due_for_recheck:
            reasons.append(gettext("due for recheck"))
        if obj.status == Status.PENDING:
            reasons.append(gettext("not yet reviewed"))
        if getattr(obj, "has_dead_link", False):
            reasons.append(gettext("dead link"))
        if getattr(obj, "awaiting_sign_off", False):
            reasons.append(gettext("awaiting sign-off"))
        if getattr(obj, "open_reports", 0):
            reasons.append(gettext("reader report"))
        if obj.is_claim and obj.status != Status.PENDING and obj.rating_id is None:
            reasons.append(gettext("decided but not rated"))
        text = ", ".join(reasons)
        if getattr(obj, "source_changed", False):
            changes = Snapshot.objects.drifted().filter(evidence__claim=obj).only("pk", "drift")
            links = format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                ((reverse("admin:claims_snapshot_change", args=[s.pk]), gettext("source changed")) for s in changes),
            )
            return format_html("{}{}{}", text, ", " if text else "", links)
        return text

    def has_add_permission(self, request):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "claim", "from_status", "to_status", "user", "via"]
    list_filter = ["to_status", "via"]
    list_select_related = ["claim", "user"]
    search_fields = ["claim__statement", "note"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
