"""Changes of cited sources (出典の変化): what check_links found, side by side with the snapshot.

A change never touches the claim: the editor reads the old and new text (the evidence's excerpt
marked in both), decides, changes the claim through its own form if need be (the one write path,
with sign-off), and marks the change as looked at, which takes it out of the review queue.
"""

import unicodedata

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from claims import archiving
from claims.models import Snapshot


def marked(text, excerpt):
    """``text`` as HTML, with the excerpt (found after NFKC, whitespace ignored) in a <mark>."""
    folded, where = [], []
    for index, char in enumerate(text):
        for piece in unicodedata.normalize("NFKC", char):
            if not piece.isspace():
                folded.append(piece)
                where.append(index)
    needle = archiving.folded(excerpt)
    start = "".join(folded).find(needle) if needle else -1
    if start < 0:
        return format_html("{}", text)
    end = where[start + len(needle) - 1] + 1
    start = where[start]
    return format_html("{}<mark>{}</mark>{}", text[:start], text[start:end], text[end:])


class DriftFilter(admin.SimpleListFilter):
    title = _("looked at")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("1", gettext("Not yet")), ("0", gettext("Yes"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(reviewed_at__isnull=True)
        if self.value() == "0":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    """Changes of sources, read-only; each one's page shows the texts side by side."""

    list_display = ["fetched_at", "claim_link", "url", "drift", "reviewed_at"]
    list_filter = [DriftFilter, "drift"]
    list_select_related = ["evidence__claim"]
    search_fields = ["url", "evidence__claim__statement"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(drift="").defer("text")

    @admin.display(description=_("claim"))
    def claim_link(self, obj):
        claim = obj.evidence.claim
        return format_html(
            '<a href="{}">#{} {}</a>', reverse("admin:claims_claim_change", args=[claim.pk]), claim.pk, claim
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("claims.change_claim")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("claims.view_claim")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        snapshot = self.get_object(request, object_id)
        if snapshot is None or not self.has_view_permission(request, snapshot):
            raise Http404
        if request.method == "POST" and self.has_change_permission(request, snapshot):
            archiving.mark_reviewed(snapshot, user=request.user)
            self.message_user(request, gettext("Marked as looked at; it has left the review queue."), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:claims_reviewqueueitem_changelist"))
        snapshot = Snapshot.objects.select_related("evidence__claim", "compared_to").get(pk=snapshot.pk)
        old = snapshot.compared_to
        excerpt = snapshot.evidence.excerpt
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Source changed"),
            "snapshot": snapshot,
            "old": old,
            "claim": snapshot.evidence.claim,
            "evidence": snapshot.evidence,
            "old_text": marked(old.text, excerpt) if old else "",
            "new_text": marked(snapshot.text, excerpt),
            "can_mark": self.has_change_permission(request, snapshot) and snapshot.reviewed_at is None,
        }
        return TemplateResponse(request, "admin/claims/snapshot/drift.html", context)
