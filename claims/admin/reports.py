"""Readers' error reports: the editors' queue, working on one, closing many with a reply.

A reader's contact address is shown to editors while the report is open and deleted when it is
closed (``services.reports.reports_update``); everything a reader typed is shown as text.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from claims.models import Report
from claims.services.reports import reports_update
from claims.validators import VisibleTextField

State = Report.State


def open_reports():
    """How many open reports a claim has, as an annotation for the claim list and the review queue."""
    reports = Report.objects.filter(claim=OuterRef("pk"), state__in=Report.OPEN_STATES)
    return Coalesce(Subquery(reports.values("claim").annotate(n=Count("pk")).values("n")), 0)


class AgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("week", _("Older than a week")), ("month", _("Older than a month"))]

    def queryset(self, request, queryset):
        days = {"week": 7, "month": 30}.get(self.value())
        if days:
            return queryset.filter(created_at__lt=timezone.now() - datetime.timedelta(days=days))
        return queryset


class ReportedClaimFilter(admin.SimpleListFilter):
    """The claims that have reports (not every claim of the desk)."""

    title = _("claim")
    parameter_name = "claim"

    def lookups(self, request, model_admin):
        claims = Report.objects.exclude(claim=None).values_list("claim_id", "claim__statement").distinct()
        return [(str(pk), f"#{pk} {statement[:40]}") for pk, statement in claims.order_by("claim_id")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(claim_id=int(self.value()))
        return queryset


class CloseForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Close as"), choices=[(State.CORRECTED, State.CORRECTED.label), (State.DECLINED, State.DECLINED.label)]
    )
    public_reply = VisibleTextField(
        label=_("Public reply"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on the claim's page. The reporters' addresses are deleted when the reports close."),
    )


@admin.action(description=_("Close selected reports with a reply…"), permissions=["change"])
def close_action(modeladmin, request, queryset):
    reports = list(queryset.select_related("claim", "article"))
    form = CloseForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        open_reports = [report for report in reports if report.is_open]
        for report in reports:
            if not report.is_open:
                modeladmin.message_user(
                    request, gettext("%(report)s is closed already.") % {"report": report}, messages.WARNING
                )
        try:
            closed = reports_update(
                reports=open_reports, state=form.cleaned_data["state"], public_reply=form.cleaned_data["public_reply"]
            )
        except ValidationError as error:
            modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        level = messages.SUCCESS if closed else messages.WARNING
        modeladmin.message_user(
            request,
            ngettext("%(count)d report closed.", "%(count)d reports closed.", len(closed)) % {"count": len(closed)},
            level,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Close reports"),
        "form": form,
        "reports": reports,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "action": "close_action",
    }
    return TemplateResponse(request, "admin/claims/report/close.html", context)


class ReportForm(forms.ModelForm):
    class Meta:
        model = Report
        fields = ["state", "internal_note", "public_reply"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    form = ReportForm
    list_display = ["__str__", "created_at", "state", "claim_link", "article", "short_message"]
    list_filter = ["state", AgeFilter, ReportedClaimFilter, "article"]
    list_select_related = ["claim", "article"]
    search_fields = ["message", "sentence", "claim__statement"]
    actions = [close_action]
    readonly_fields = ["created_at", "closed_at", "claim_link", "article", "sentence", "message", "source", "contact"]
    fieldsets = [
        (
            _("What the reader sent"),
            {"fields": ["created_at", "article", "claim_link", "sentence", "message", "source", "contact"]},
        ),
        (_("The desk's answer"), {"fields": ["state", "internal_note", "public_reply", "closed_at"]}),
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("claim"))
    def claim_link(self, obj):
        if obj.claim_id is None:
            return gettext("(a sentence with no claim)")
        return format_html(
            '<a href="{}">#{} {}</a>',
            reverse("admin:claims_claim_change", args=[obj.claim_id]),
            obj.claim_id,
            obj.claim.statement[:50],
        )

    @admin.display(description=_("what is wrong"))
    def short_message(self, obj):
        return obj.message[:80]

    @admin.display(description=_("source"))
    def source(self, obj):
        if not obj.source_url:
            return "—"
        return format_html('<a href="{}" rel="noopener noreferrer nofollow">{}</a>', obj.source_url, obj.source_url)

    def save_model(self, request, obj, form, change):
        """Through the service: closing deletes the reader's address; a closed report stays closed."""
        stored = Report.objects.get(pk=obj.pk)
        reports_update(
            reports=[stored],
            state=form.cleaned_data["state"],
            internal_note=form.cleaned_data["internal_note"],
            public_reply=form.cleaned_data["public_reply"],
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
