"""Sign-off: the list of proposals, a proposal's page with its diff, approving and sending back.

A proposal is approved only through ``services.proposal_approve`` (never by the proposer, a
superuser included; a stale one only from its page, after the approver has seen the claim as it
is now) and sent back only through ``services.proposal_send_back``, with a comment.
"""

import copy
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.db.models.fields.json import KT
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from claims import services
from claims.models import EVIDENCE_FIELDS, Claim, Evidence, Proposal, ProposalJob
from claims.services.proposal_jobs import proposal_job_start
from claims.services.withdrawals import snapshot_values
from claims.templatetags.claims_tags import status_badge
from claims.validators import VisibleTextField

from .filters import BatchFilter
from .importexport import char_diff

State = Proposal.State


class SendBackForm(forms.Form):
    comment = VisibleTextField(
        label=_("Comment for the proposer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("What to change before it can go public. The proposer reads this."),
    )


def _grouped(links):
    """Evidence by stance, in the order the public claim page lists it."""
    return [
        (stance, [link for link in links if link.stance == stance])
        for stance in Evidence.Stance
        if any(link.stance == stance for link in links)
    ]


@dataclass
class PublicView:
    """One side of a proposal's page: the claim as its public page shows it (None: not shown)."""

    claim: Claim | None
    evidence_groups: list


def _as_public(claim, links):
    if claim is None or not claim.is_claim:
        return PublicView(None, [])
    return PublicView(claim, _grouped(links))


def proposal_preview(proposal):
    """What readers see of the claim now, and what they will see once the proposal is approved.

    Both sides are rendered with the public claim page's own partials, so the approver reads the
    badge, the verdict note, the "as of" and the evidence exactly as readers will.
    """
    claim = proposal.claim
    if proposal.action == Proposal.Action.RECOVER:
        try:
            version, _withdrawal = services.deletion_snapshot(proposal.version_id)
        except ValidationError:
            return _as_public(None, []), _as_public(None, []), ""
        then, values, evidence, _history = snapshot_values(version)
        after = Claim(pk=proposal.claim_pk, statement=then.get("statement", ""), article_id=then.get("article_id"))
        for name, value in values.items():
            setattr(after, name, value)
        return _as_public(None, []), _as_public(after, [Evidence(**link) for link in evidence]), ""
    links_now = list(claim.evidence.all())
    now = _as_public(claim, links_now)
    if proposal.action == Proposal.Action.DELETE:
        return now, _as_public(None, []), ""
    change = services.proposal_change(proposal)
    after = copy.copy(claim)
    for name, value in change.values.items():
        setattr(after, name, value)
    links_after = links_now
    if change.evidence is not None:
        links_after = [Evidence(**{name: link.get(name) for name in EVIDENCE_FIELDS}) for link in change.evidence]
    note_diff = ""
    if after.verdict_note != claim.verdict_note:
        note_diff = char_diff(claim.verdict_note, after.verdict_note, context=10_000)
    return now, _as_public(after, links_after), note_diff


def proposed_statuses(queryset):
    """(label, how many) of the verdicts the proposals would set, "no new verdict" for the rest."""
    rows = (
        queryset.order_by()
        .annotate(proposed=KT("values__status"))
        .values("proposed")
        .annotate(count=Count("pk"))
        .order_by("proposed")
    )
    return [
        (Claim.Status(row["proposed"]).label if row["proposed"] else gettext("no new verdict"), row["count"])
        for row in rows
    ]


PREVIEWS_SHOWN = 20


def previews(queryset):
    """The first proposals as readers will see them once approved, beside what they see now."""
    shown = []
    for proposal in queryset.select_related("claim", "claim__article", "claim__rating").order_by("pk")[:PREVIEWS_SHOWN]:
        now, after, note_diff = proposal_preview(proposal)
        sides = [(gettext("Readers see now"), now), (gettext("Readers will see once approved"), after)]
        shown.append((proposal, sides, note_diff))
    return shown


def in_background(modeladmin, request, queryset, *, action, total):
    """Many proposals at once: a confirmation page (how many, which verdicts), then a job for the
    task worker and its page. Returns the response, or None for a selection small enough for the request."""
    if total <= settings.CLAIMS_SIGN_OFF_BACKGROUND:
        return None
    return confirm_page(modeladmin, request, queryset, action=action, total=total, background=True)


def confirm_page(modeladmin, request, queryset, *, action, total, background):
    """The confirmation of many proposals at once: how many, which verdicts, the first of them as
    readers will see them; confirmed, a background job (``background``) or None (do it now)."""
    # "Select all" of an unfiltered list takes the reviewed ones too: only the open ones are handled.
    queryset = queryset.filter(state=State.OPEN)
    chosen = queryset.count()
    form = SendBackForm(request.POST) if action == ProposalJob.Action.SEND_BACK and "confirm" in request.POST else None
    if "confirm" in request.POST and (form is None or form.is_valid()):
        if not background:
            return None
        job = proposal_job_start(
            proposal_ids=queryset.order_by("pk").values_list("pk", flat=True),
            action=action,
            user=request.user,
            comment=form.cleaned_data["comment"] if form else "",
            language=translation.get_language(),
        )
        return HttpResponseRedirect(job.get_absolute_url())
    if action == ProposalJob.Action.SEND_BACK and form is None:
        form = SendBackForm()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Approve proposals")
        if action == ProposalJob.Action.APPROVE
        else gettext("Send proposals back"),
        "opts": modeladmin.model._meta,
        "total": chosen,
        "left_out": total - chosen,
        "statuses": proposed_statuses(queryset),
        "background": background,
        "previews": previews(queryset) if action == ProposalJob.Action.APPROVE else [],
        "previews_hidden": max(0, chosen - PREVIEWS_SHOWN) if action == ProposalJob.Action.APPROVE else 0,
        "form": form,
        "action": request.POST.get("action", ""),
        "job_action": action,
        "select_across": request.POST.get("select_across", "0"),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/claims/proposal/confirm_many.html", context)


@admin.action(description=_("Approve selected proposals"), permissions=["approve"])
def approve_action(modeladmin, request, queryset):
    total = queryset.count()
    response = in_background(modeladmin, request, queryset, action=ProposalJob.Action.APPROVE, total=total)
    if response is None:
        # A few: the same confirmation, showing each as readers will see it; approved in this request.
        response = confirm_page(
            modeladmin, request, queryset, action=ProposalJob.Action.APPROVE, total=total, background=False
        )
    if response is not None:
        return response
    approved = 0
    for proposal in queryset.select_related("claim"):
        try:
            services.proposal_approve(proposal=proposal, user=request.user)
            approved += 1
        except ValidationError as error:
            modeladmin.message_user(
                request,
                format_html(gettext("Not approved: {}: {}"), proposal, " ".join(error.messages)),
                messages.ERROR,
            )
    if approved:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d proposal approved: it is public now.",
                "%(count)d proposals approved: they are public now.",
                approved,
            )
            % {"count": approved},
            messages.SUCCESS,
        )
    else:
        modeladmin.message_user(request, gettext("No proposal was approved."), messages.WARNING)


@admin.action(description=_("Send selected proposals back…"), permissions=["approve"])
def send_back_action(modeladmin, request, queryset):
    total = queryset.count()
    response = in_background(modeladmin, request, queryset, action=ProposalJob.Action.SEND_BACK, total=total)
    if response is not None:
        return response
    proposals = list(queryset.select_related("claim", "proposed_by"))
    form = SendBackForm(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        sent = 0
        for proposal in proposals:
            try:
                services.proposal_send_back(proposal=proposal, user=request.user, comment=form.cleaned_data["comment"])
                sent += 1
            except ValidationError as error:
                modeladmin.message_user(
                    request,
                    format_html(gettext("Not sent back: {}: {}"), proposal, " ".join(error.messages)),
                    messages.ERROR,
                )
        level = messages.SUCCESS if sent else messages.WARNING
        modeladmin.message_user(
            request,
            ngettext("%(count)d proposal sent back.", "%(count)d proposals sent back.", sent) % {"count": sent},
            level,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": gettext("Send proposals back"),
        "form": form,
        "proposals": proposals,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "action": "send_back_action",
    }
    return TemplateResponse(request, "admin/claims/proposal/send_back.html", context)


class MineFilter(admin.SimpleListFilter):
    title = _("proposed by")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("yes", _("My proposals"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(proposed_by=request.user)
        return queryset


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ["__str__", "claim_statement", "summary", "proposed_by", "created_at", "state_label", "batch"]
    list_filter = ["state", MineFilter, BatchFilter, "via"]
    list_select_related = ["claim", "proposed_by"]
    search_fields = ["claim__statement", "note", "batch"]
    actions = [approve_action, send_back_action]
    list_per_page = 100
    # No count of every proposal on each page (the counts above the list come from the state index).
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm("claims.approve_proposal")

    def get_urls(self):
        return [
            path("jobs/<int:pk>/", self.admin_site.admin_view(self.job_view), name="claims_proposal_job"),
            *super().get_urls(),
        ]

    def job_view(self, request, pk):
        """A background approval or sending back: how far it got, then what came of it."""
        if not self.has_approve_permission(request):
            raise PermissionDenied
        job = get_object_or_404(ProposalJob, pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(job),
            "job": job,
            "refused_hidden": job.refused_count - len(job.refused),
            "changelist_url": reverse("admin:claims_proposal_changelist"),
        }
        return TemplateResponse(request, "admin/claims/proposal/job.html", context)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claim", "claim__article", "proposed_by", "reviewed_by")

    def changelist_view(self, request, extra_context=None):
        counts = {
            "open": Proposal.objects.filter(state=State.OPEN).count(),
            "sent_back": Proposal.objects.filter(state=State.SENT_BACK).count(),
        }
        return super().changelist_view(request, {**(extra_context or {}), "proposal_counts": counts})

    @admin.display(description=_("statement"))
    def claim_statement(self, obj):
        return obj.claim.statement[:60] if obj.claim else "—"

    @admin.display(description=_("change"))
    def summary(self, obj):
        if obj.action != Proposal.Action.CHANGE or obj.claim is None:
            return obj.get_action_display()
        parts = []
        if "is_claim" in obj.values:
            parts.append(gettext("a claim") if obj.values["is_claim"] else gettext("not a claim"))
        if "status" in obj.values:
            parts.append(format_html("{} → {}", status_badge(obj.claim.status), status_badge(obj.values["status"])))
        if "rating" in obj.values:
            parts.append(gettext("rating"))
        if "verdict_note" in obj.values:
            parts.append(gettext("verdict note"))
        if "as_of" in obj.values:
            parts.append(gettext("as of"))
        if obj.evidence is not None:
            parts.append(gettext("evidence"))
        return format_html(" · ".join(["{}"] * len(parts)), *parts) if parts else "—"

    @admin.display(description=_("state"), ordering="state")
    def state_label(self, obj):
        if obj.state == State.OPEN and obj.is_stale:
            return gettext("awaiting sign-off (the claim changed since: look again)")
        return obj.get_state_display()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The proposal's page: what it would change against what readers see now, and the two buttons."""
        proposal = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_or_change_permission(request, proposal):
            raise PermissionDenied
        form = SendBackForm(request.POST if "send_back" in request.POST else None)
        if request.method == "POST":
            if not self.has_approve_permission(request):
                raise PermissionDenied
            try:
                if "approve" in request.POST:
                    seen = request.POST.get("seen_version", "")
                    services.proposal_approve(
                        proposal=proposal, user=request.user, seen_version=int(seen) if seen.isdigit() else None
                    )
                    self.message_user(request, gettext("Approved: the change is public now."), messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:claims_proposal_changelist"))
                if "send_back" in request.POST and form.is_valid():
                    services.proposal_send_back(
                        proposal=proposal, user=request.user, comment=form.cleaned_data["comment"]
                    )
                    self.message_user(
                        request, gettext("Sent back to the proposer with your comment."), messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:claims_proposal_changelist"))
            except ValidationError as error:
                for message in error.messages:
                    self.message_user(request, message, messages.ERROR)
            proposal.refresh_from_db()
        now, after, note_diff = proposal_preview(proposal)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(proposal),
            "proposal": proposal,
            "claim": proposal.claim,
            "sides": [(gettext("Readers see now"), now), (gettext("Readers will see once approved"), after)],
            "note_diff": note_diff,
            "form": form,
            "can_approve": self.has_approve_permission(request)
            and proposal.state == State.OPEN
            and proposal.proposed_by_id != request.user.pk,
            "own": proposal.proposed_by_id == request.user.pk,
        }
        return TemplateResponse(request, "admin/claims/proposal/review.html", context)
