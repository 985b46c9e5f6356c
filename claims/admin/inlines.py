"""The claim form's inlines: its evidence (with the saved copy and the link check) and its history."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.forms import Textarea
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from claims.models import (
    EVIDENCE_FIELDS,
    Claim,
    Evidence,
    Snapshot,
    StatusChange,
)

from .forms import EvidenceFormSet

Status = Claim.Status
Stance = Evidence.Stance

# The stance a new evidence row starts with when the claim's status needs one (the workflow's rules:
# verified needs a supporting link, disputed a refuting or context link).
STANCE_FOR_STATUS = {Status.VERIFIED: Stance.SUPPORTS, Status.DISPUTED: Stance.REFUTES}


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
        "saved_copy",
    ]
    readonly_fields = ["link_check", "saved_copy"]
    show_change_link = False

    @admin.display(description=_("Saved copy"))
    def saved_copy(self, obj):
        """The latest snapshot of the source (claims/archiving.py): its page, or why there is none."""
        if not obj or not obj.pk:
            return "—"
        latest = (
            obj.snapshots.filter(kind=Snapshot.Kind.ARCHIVE, url=obj.url)
            .annotate(readable=Exists(Snapshot.objects.kept().filter(pk=OuterRef("pk"))))
            .defer("text")
            .first()
        )
        if latest is None:
            return gettext("Not archived yet")
        when = timezone.localtime(latest.fetched_at).strftime("%Y-%m-%d %H:%M")
        if latest.readable:
            return format_html('<a href="{}">{}</a>', latest.reader_url, when)
        return format_html("{} · {}", when, latest.error or gettext("no text found in the page"))

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

        class EvidenceForm(formset.form):
            def has_changed(self):
                """A new row with nothing typed in it is untouched, whichever stance it shows (the
                stance follows the claim's status, on the page and in claim-form.js)."""
                if not self.instance.pk and self.is_bound:
                    typed = [self.data.get(self.add_prefix(name), "") for name in EVIDENCE_FIELDS if name != "stance"]
                    if not any(str(value).strip() for value in typed):
                        return False
                return super().has_changed()

        formset.form = EvidenceForm
        EvidenceForm.base_fields["excerpt"].widget = Textarea(attrs={"rows": 2})
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
