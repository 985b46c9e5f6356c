from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from taggit.admin import TagAdmin as TaggitTagAdmin
from taggit.models import Tag

from . import services
from .history import ArticleVersionAdmin, ClaimVersionAdmin, GuardedVersionAdmin
from .models import Article, Claim, Evidence, ReviewQueueItem, StatusChange
from .resources import ClaimImportExportMixin
from .templatetags.claims_tags import status_badge
from .validators import validate_visible_text

Status = Claim.Status


# ---------------------------------------------------------------------------------------------
# Claim form: status changes, anchoring and the concurrent-edit guard


class ClaimAdminForm(forms.ModelForm):
    status_note = forms.CharField(
        label=_("Note for the history"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the status changes; kept with the status history."),
    )
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        fields = [
            "article",
            "statement",
            "is_claim",
            "status",
            "verdict_note",
            "internal_note",
            "as_of",
            "recheck_after",
            "tags",
        ]
        widgets = {"statement": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loaded_version"].initial = self.instance.version
        if "tags" in self.fields:
            self.fields["tags"].widget.attrs.update(
                {"list": "tag-options", "autocomplete": "off", "data-tag-input": "1"}
            )

    def clean_tags(self):
        tags = self.cleaned_data.get("tags") or []
        for name in tags:
            validate_visible_text(name)
        return tags

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            loaded = cleaned.get("loaded_version")
            current = Claim.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if loaded is not None and current is not None and loaded != current:
                raise ValidationError(services.CONCURRENT_EDIT_MESSAGE, code="concurrent_edit")
        article, statement = cleaned.get("article"), cleaned.get("statement")
        if (
            article
            and statement is not None
            and (
                not self.instance.pk
                or statement.strip() != self.instance.statement
                or article.pk != self.instance.article_id
            )
        ):
            try:
                self.sentence = services.claim_locate(article=article, statement=statement, exclude_pk=self.instance.pk)
            except ValidationError as error:
                self.add_error("statement", error)
        return cleaned


class EvidenceFormSet(forms.BaseInlineFormSet):
    """Checks the workflow rules against the evidence as it will be after this save."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        claim = self.instance
        stances = [
            form.cleaned_data["stance"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("stance")
        ]
        errors = services.status_rule_errors(
            status=claim.status, verdict_note=claim.verdict_note, as_of=claim.as_of, stances=stances
        )
        if errors:
            raise ValidationError(errors)


class EvidenceInline(admin.StackedInline):
    model = Evidence
    formset = EvidenceFormSet
    extra = 1
    fields = [
        ("stance", "url"),
        ("title", "publisher"),
        ("published", "accessed"),
        "archive_url",
        "excerpt",
        "link_check",
    ]
    readonly_fields = ["link_check"]
    show_change_link = False

    @admin.display(description=_("link check"))
    def link_check(self, obj):
        """What manage.py check_links last found, and the archived copy to use when the link is dead."""
        if not obj or not obj.pk or obj.link_status == Evidence.LinkStatus.UNCHECKED:
            return gettext("Not checked yet")
        found = format_html(
            '<span class="link-{}">{}</span>{} · {}',
            obj.link_status,
            obj.get_link_status_display(),
            format_html(" ({})", obj.link_status_code or obj.link_error) if obj.link_status != "ok" else "",
            timezone.localtime(obj.link_checked_at).strftime("%Y-%m-%d %H:%M") if obj.link_checked_at else "—",
        )
        if obj.link_status == Evidence.LinkStatus.OK:
            return found
        if obj.archive_url:
            return format_html(
                '{} — {} <a href="{}" rel="noopener noreferrer">{}</a>',
                found,
                gettext("use the archived copy:"),
                obj.archive_url,
                obj.archive_url,
            )
        return format_html("{} — {}", found, gettext("no archived copy: find one or replace the link."))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["excerpt"].widget = forms.Textarea(attrs={"rows": 2})
        return formset


class StatusChangeInline(admin.TabularInline):
    """The status history, read-only: it is never edited or deleted through the admin."""

    model = StatusChange
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "note", "user", "via"]
    readonly_fields = fields
    ordering = ["-created_at", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------------------------------
# Filters


class DueForRecheckFilter(admin.SimpleListFilter):
    title = _("due for recheck")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("yes", _("Due for recheck"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.due_for_recheck()
        return queryset


class EvidenceFilter(admin.SimpleListFilter):
    title = _("evidence")
    parameter_name = "evidence"

    def lookups(self, request, model_admin):
        return [("none", _("No evidence")), ("some", _("Has evidence"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(evidence__isnull=True)
        if self.value() == "some":
            return queryset.filter(evidence__isnull=False).distinct()
        return queryset


class LinkStatusFilter(admin.SimpleListFilter):
    title = _("evidence links")
    parameter_name = "links"

    def lookups(self, request, model_admin):
        return [("dead", _("A dead link")), ("failing", _("A link that failed once"))]

    def queryset(self, request, queryset):
        if self.value() in {Evidence.LinkStatus.DEAD, Evidence.LinkStatus.FAILING}:
            return queryset.filter(Exists(Evidence.objects.filter(claim=OuterRef("pk"), link_status=self.value())))
        return queryset


class SectionFilter(admin.SimpleListFilter):
    title = _("section")
    parameter_name = "section"

    def lookups(self, request, model_admin):
        sections = Claim.objects.exclude(section="").values_list("section", flat=True).distinct().order_by("section")
        return [(section, section) for section in sections]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(section=self.value())
        return queryset


# ---------------------------------------------------------------------------------------------
# Bulk actions


class BulkStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    note = forms.CharField(label=_("Note for the history"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


@admin.action(description=_("Change status of selected claims…"), permissions=["change"])
def change_status_action(modeladmin, request, queryset):
    if "apply" in request.POST:
        form = BulkStatusForm(request.POST)
        if form.is_valid():
            changed, refused = 0, []
            for claim in queryset.select_related("article"):
                try:
                    with transaction.atomic():
                        if services.claim_change_status(
                            claim=claim,
                            to=form.cleaned_data["status"],
                            note=form.cleaned_data["note"],
                            user=request.user,
                            via=StatusChange.Via.BULK,
                        ):
                            changed += 1
                except ValidationError as error:
                    refused.append((claim, " ".join(error.messages)))
            modeladmin.message_user(
                request,
                ngettext("%(count)d claim changed status.", "%(count)d claims changed status.", changed)
                % {"count": changed},
                messages.SUCCESS,
            )
            for claim, reason in refused:
                modeladmin.message_user(
                    request,
                    format_html(gettext("Refused for claim #{}: “{}”: {}"), claim.pk, claim.statement[:40], reason),
                    messages.ERROR,
                )
            return None
    else:
        form = BulkStatusForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Change status"),
        "form": form,
        "claims": queryset,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "action": "change_status_action",
    }
    return TemplateResponse(request, "admin/claims/change_status.html", context)


@admin.action(description=_("Mark selected statements as not a claim"), permissions=["change"])
def mark_not_claim_action(modeladmin, request, queryset):
    for claim in queryset:
        services.claim_set_is_claim(claim=claim, is_claim=False)
    modeladmin.message_user(request, _("Marked as not a claim: %(count)d") % {"count": queryset.count()})


@admin.action(description=_("Mark selected statements as claims"), permissions=["change"])
def mark_claim_action(modeladmin, request, queryset):
    for claim in queryset:
        services.claim_set_is_claim(claim=claim, is_claim=True)
    modeladmin.message_user(request, _("Marked as claims: %(count)d") % {"count": queryset.count()})


# ---------------------------------------------------------------------------------------------
# Claims


class ClaimAdminBase(ClaimVersionAdmin):
    form = ClaimAdminForm
    list_display = ["short_statement", "status_label", "article", "section", "evidence_count", "due", "anchored"]
    list_display_links = ["short_statement"]
    list_filter = [
        "status",
        "article",
        SectionFilter,
        "tags",
        DueForRecheckFilter,
        EvidenceFilter,
        LinkStatusFilter,
        "is_anchored",
        "is_claim",
    ]
    list_select_related = ["article"]
    search_fields = ["statement", "verdict_note", "internal_note"]
    inlines = [EvidenceInline, StatusChangeInline]
    actions = [change_status_action, mark_not_claim_action, mark_claim_action]
    readonly_fields = ["anchor_info", "last_checked", "public_links"]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["article", "statement", "anchor_info", "is_claim", "public_links"]}),
        (
            _("Verdict"),
            {"fields": ["status", "status_note", "verdict_note", "as_of", "recheck_after", "last_checked", "tags"]},
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
            )
        )

    @admin.display(description=_("statement"), ordering="position")
    def short_statement(self, obj):
        return obj.statement if len(obj.statement) <= 70 else obj.statement[:70] + "…"

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj):
        return status_badge(obj.status)

    @admin.display(description=_("evidence"), ordering="evidence_total")
    def evidence_count(self, obj):
        return obj.evidence_total

    @admin.display(description=_("due for recheck"), boolean=True, ordering="recheck_after")
    def due(self, obj):
        return obj.is_due_for_recheck

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
        return format_html("{} · {} {}", obj.section or "—", gettext("offset"), obj.position)

    @admin.display(description=_("public pages"))
    def public_links(self, obj):
        if not obj.pk:
            return "—"
        links = [format_html('<a href="{}">{}</a>', obj.get_absolute_url(), gettext("Claim page"))]
        if obj.is_anchored and obj.is_claim:
            links.append(format_html('<a href="{}">{}</a>', obj.get_article_url(), gettext("Place in the article")))
        return format_html_join(" · ", "{}", ((link,) for link in links))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "tag_options": self._tag_options()}
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ConcurrentEditError as error:
            request._save_refused = True  # a restore in progress keeps nothing (claims/history.py)
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _tag_options(self):
        from taggit.models import Tag

        return list(Tag.objects.order_by("name").values_list("name", flat=True)[:500])

    def save_model(self, request, obj, form, change):
        request._claim_new_status = obj.status
        sentence = getattr(form, "sentence", None)
        if sentence is not None:
            for name, value in services.claim_anchor_fields(obj.article.body, sentence).items():
                setattr(obj, name, value)
        if change:
            services.claim_bump_version(claim=obj, expected_version=form.cleaned_data["loaded_version"] or obj.version)
            obj.status = Claim.objects.filter(pk=obj.pk).values_list("status", flat=True).get()
        else:
            obj.status = Status.PENDING
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.claim_change_status(
            claim=form.instance,
            to=request._claim_new_status,
            note=form.cleaned_data.get("status_note", ""),
            user=request.user,
            via=StatusChange.Via.ADMIN,
        )


@admin.register(Claim)
class ClaimAdmin(ClaimImportExportMixin, ClaimAdminBase):
    """Claims, with CSV import (chief editors) and export (anyone who may view claims)."""


@admin.register(ReviewQueueItem)
class ReviewQueueAdmin(ClaimAdminBase):
    """What needs an editor: undecided claims, claims due for recheck, claims that lost their place
    or a source (a dead evidence link)."""

    list_display = ["short_statement", "status_label", "reason", "article", "evidence_count", "recheck_after"]

    def get_queryset(self, request):
        today = timezone.localdate()
        return (
            super()
            .get_queryset(request)
            .filter(is_claim=True)
            .filter(
                Q(status=Status.PENDING) | Q(recheck_after__lte=today) | Q(is_anchored=False) | Q(has_dead_link=True)
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
        return ", ".join(reasons)

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


# ---------------------------------------------------------------------------------------------
# Articles


@admin.action(description=_("Split into statements and propose claims"), permissions=["change"])
def create_claims_action(modeladmin, request, queryset):
    for article in queryset:
        created = services.article_create_claims(article=article)
        modeladmin.message_user(
            request, _("%(article)s: %(count)d new pending claims.") % {"article": article, "count": len(created)}
        )


@admin.register(Article)
class ArticleAdmin(ArticleVersionAdmin):
    list_display = ["title", "slug", "is_published", "published_at", "claim_count", "updated_at"]
    list_filter = ["is_published", "language"]
    search_fields = ["title", "lead", "body"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["coverage"]
    actions = [create_claims_action]
    fields = ["title", "slug", "lead", "body", "language", "is_published", "published_at", "coverage"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_total=Count("claims", filter=Q(claims__is_claim=True)))

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
            '<ul class="coverage"><li>{}: {}</li>{}<li>{}: {}</li><li><strong>{}: {}</strong></li><li>{}: {}</li></ul>',
            gettext("Statements"),
            cov.statements,
            format_html_join("", "{}", ((cell,) for cell in cells)),
            gettext("Not a claim"),
            cov.not_claims,
            gettext("Statements not yet decided"),
            cov.undecided,
            gettext("Unanchored claims"),
            cov.unanchored,
        )

    def save_model(self, request, obj, form, change):
        report = services.article_update(article=obj)
        if report and report.unanchored:
            self.message_user(
                request,
                ngettext(
                    "%(count)d claim lost its place in the text and is now unanchored; see the review queue.",
                    "%(count)d claims lost their place in the text and are now unanchored; see the review queue.",
                    len(report.unanchored),
                )
                % {"count": len(report.unanchored)},
                messages.WARNING,
            )


# ---------------------------------------------------------------------------------------------
# Tags: versioned like claims (deleting keeps a version to recover, with the tag's uses), and
# names refuse invisible control characters like every other text readers see.


class TagForm(forms.ModelForm):
    def clean_name(self):
        name = self.cleaned_data["name"]
        validate_visible_text(name)
        return name


admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(GuardedVersionAdmin, TaggitTagAdmin):
    form = TagForm
