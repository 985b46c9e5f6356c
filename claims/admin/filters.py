"""List filters for the claim list and the review queue."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from claims.models import Claim, Evidence


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
