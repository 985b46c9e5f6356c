"""List filters for the claim list and the review queue."""

from django.contrib import admin
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from claims.models import Claim, Evidence, Proposal
from claims.text import natural_key


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


class UnratedFilter(admin.SimpleListFilter):
    title = _("rated")
    parameter_name = "rated"

    def lookups(self, request, model_admin):
        return [("no", _("Decided but not rated"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(Claim.objects.unrated_decided_q())
        return queryset


class SectionFilter(admin.SimpleListFilter):
    title = _("section")
    parameter_name = "section"

    def lookups(self, request, model_admin):
        sections = Claim.objects.exclude(section="").values_list("section", flat=True).distinct().order_by()
        return [(section, section) for section in sorted(sections, key=natural_key)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(section=self.value())
        return queryset


class QueueReasonFilter(admin.SimpleListFilter):
    """The review queue by what needs doing, each with its count: one query for all the counts."""

    title = _("why it is here")
    parameter_name = "why"

    def reasons(self):
        today = timezone.localdate()
        return {
            "sign_off": (gettext("Awaiting sign-off"), Q(awaiting_sign_off=True)),
            "pending": (gettext("Not yet reviewed"), Q(status=Claim.Status.PENDING)),
            "due": (gettext("Due for recheck"), Q(recheck_after__lte=today)),
            "unanchored": (gettext("Unanchored"), Q(is_anchored=False)),
            "dead": (gettext("Dead link"), Q(has_dead_link=True)),
            "reports": (gettext("Reader reports"), Q(open_reports__gt=0)),
            "unrated": (gettext("Decided but not rated"), Claim.objects.unrated_decided_q()),
            "source": (gettext("Source changed"), Q(source_changed=True)),
        }

    def lookups(self, request, model_admin):
        reasons = self.reasons()
        counts = model_admin.get_queryset(request).aggregate(
            **{key: Count("pk", filter=condition) for key, (_label, condition) in reasons.items()}
        )
        return [(key, f"{label} ({counts[key]})") for key, (label, _condition) in reasons.items()]

    def queryset(self, request, queryset):
        reason = self.reasons().get(self.value())
        return queryset.filter(reason[1]) if reason else queryset


class BatchFilter(admin.SimpleListFilter):
    """The proposals of one import (its batch), without the empty choice of the proposals that
    came one by one (the form, a bulk action)."""

    title = _("batch")
    parameter_name = "batch"

    def lookups(self, request, model_admin):
        batches = Proposal.objects.exclude(batch="").values_list("batch", flat=True).distinct().order_by("-batch")
        return [(batch, batch) for batch in batches]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(batch=self.value())
        return queryset
