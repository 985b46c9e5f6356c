"""Bulk actions on the claim list, the review queue and the article list; each goes through the workflow."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from claims import services
from claims.models import StatusChange

from .forms import BulkStatusForm
from .notices import proposal_message


def _refusal(modeladmin, request, claim, reason):
    modeladmin.message_user(
        request,
        format_html(gettext("Refused for claim #{}: “{}”: {}"), claim.pk, claim.statement[:40], reason),
        messages.ERROR,
    )


def _report_result(modeladmin, request, result, changed_message, none):
    """What the action did: how many changed now, how many wait for sign-off (and which open
    proposals they replaced); a warning when it did nothing."""
    counts = result.counts
    applied = counts[services.NEW] + counts[services.UPDATED]
    if applied:
        modeladmin.message_user(request, changed_message(applied), messages.SUCCESS)
    if result.proposals:
        modeladmin.message_user(
            request, proposal_message(len(result.proposals), len(result.replaced)), messages.WARNING
        )
    if not applied and not result.proposals:
        modeladmin.message_user(request, none, messages.WARNING)


@admin.action(description=_("Change status of selected claims…"), permissions=["change"])
def change_status_action(modeladmin, request, queryset):
    """Two pages: the form (new status, a note), then the result; statements that are not claims are skipped."""
    claims = list(queryset.select_related("article"))
    form = BulkStatusForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        to, note, rating = form.cleaned_data["status"], form.cleaned_data["note"], form.cleaned_data["rating"]
        values = {"status": to, "rating": rating}
        if form.cleaned_data["verdict_note"]:
            values["verdict_note"] = form.cleaned_data["verdict_note"]
        changes = []
        for claim in claims:
            if not claim.is_claim:
                _refusal(modeladmin, request, claim, gettext("skipped: it is marked “not a claim”."))
                continue
            # The version the editor saw on the confirmation page: a save made since is not overwritten.
            seen = request.POST.get(f"version-{claim.pk}", "")
            expected = int(seen) if seen.isdigit() else claim.version
            changes.append(services.ClaimChange(claim=claim, values=dict(values), expected_version=expected))
        checked = services.claims_check(changes=changes)
        refused = {id(p.change) for p in checked.problems}
        for problem in checked.problems:
            _refusal(modeladmin, request, problem.change.claim, problem.message)
        try:
            result = services.claims_apply(
                changes=[c for c in changes if id(c) not in refused],
                user=request.user,
                via=StatusChange.Via.BULK,
                note=note,
            )
        except ValidationError as error:
            modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        _report_result(
            modeladmin,
            request,
            result,
            lambda count: (
                ngettext("%(count)d claim changed status.", "%(count)d claims changed status.", count)
                % {"count": count}
            ),
            gettext("No claim changed status."),
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Change status"),
        "form": form,
        "claims": claims,
        "not_claims": [claim for claim in claims if not claim.is_claim],
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "action": "change_status_action",
    }
    return TemplateResponse(request, "admin/claims/change_status.html", context)


def _set_is_claim(modeladmin, request, queryset, is_claim):
    result = services.claims_set_is_claim(claims=list(queryset), is_claim=is_claim, user=request.user)
    label = gettext("Marked as claims: %(count)d") if is_claim else gettext("Marked as not a claim: %(count)d")
    _report_result(
        modeladmin,
        request,
        result,
        lambda count: label % {"count": count},
        gettext("Nothing changed: they were marked so already."),
    )


@admin.action(description=_("Mark selected statements as not a claim"), permissions=["change"])
def mark_not_claim_action(modeladmin, request, queryset):
    _set_is_claim(modeladmin, request, queryset, False)


@admin.action(description=_("Mark selected statements as claims"), permissions=["change"])
def mark_claim_action(modeladmin, request, queryset):
    _set_is_claim(modeladmin, request, queryset, True)


@admin.action(description=_("Split into statements and propose claims"), permissions=["change"])
def create_claims_action(modeladmin, request, queryset):
    for article in queryset:
        created = services.article_create_claims(article=article, user=request.user, via=StatusChange.Via.ADMIN)
        modeladmin.message_user(
            request, gettext("%(article)s: %(count)d new pending claims.") % {"article": article, "count": len(created)}
        )
