"""Nothing lost: every change to a claim, its evidence or an article is a django-reversion version
that can be viewed and restored, and a deletion keeps a last version to recover.

Restoring goes through the write path like any other change. django-reversion's own restore
writes the old rows back as they were (a status without a rule check or a history row, an
anchor on a place that may now be another statement's, an article text without re-anchoring),
so the restore and recover pages of claims and articles are ours: they show what the version
would change against what is stored now, and on confirmation hand the version to the services
(claims/services/restore.py: ``claim_restore_version``, ``article_restore_version``), which
build the change. They override the public ``revision_view`` and ``recover_view`` hooks of
``VersionAdmin``.
"""

import contextlib

import reversion
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.formats import localize
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from reversion.admin import VersionAdmin
from reversion.models import Version

from claims import services
from claims.caching.revision import Touched, content_changed
from claims.models import Article, Claim, Evidence, Proposal, Snapshot, StatusChange

from .forms import RestoreForm
from .notices import proposal_message


def register_models():
    if not reversion.is_registered(Claim):
        reversion.register(Claim, follow=["evidence"])
    if not reversion.is_registered(Evidence):
        reversion.register(Evidence)
    if not reversion.is_registered(Article):
        reversion.register(Article)
    # Only in the last version of a deleted claim, so that recovering it brings its history back.
    if not reversion.is_registered(StatusChange):
        reversion.register(StatusChange)


register_models()


def _display(value):
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def verbose_field_names(form, names, model=None):
    """The changed fields by their model's verbose names, untranslated, as the history stores
    them and translates them when shown (LogEntry.get_change_message): the form's capitalised
    labels ("Is a claim") are no msgid of ours, and were shown in English beside Japanese."""
    model = model or form._meta.model
    fields = {field.name: field for field in model._meta.get_fields() if hasattr(field, "verbose_name")}
    with translation.override(None):
        return [
            str(fields[name].verbose_name) if name in fields else str(form.fields[name].label or name) for name in names
        ]


class GuardedVersionAdmin(VersionAdmin):
    """VersionAdmin whose deletions keep a version with what goes with them, and whose reads write nothing."""

    history_latest_first = True

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        # Inline rows are listed in the formsets' order, each formset's changed rows in theirs.
        rows = iter(
            verbose_field_names(formset.forms[0], fields, type(changed))
            for formset in formsets or ()
            for changed, fields in getattr(formset, "changed_objects", ())
        )
        for entry in message:
            changed = entry.get("changed")
            if changed is None:
                continue
            if "name" in changed:  # an inline row
                changed["fields"] = next(rows, changed["fields"])
            else:  # the object itself
                changed["fields"] = verbose_field_names(form, form.changed_data)
        return message

    @contextlib.contextmanager
    def create_revision(self, request):
        """VersionAdmin's public hook around its views: reading a list or a form writes nothing, so
        it opens no revision and no transaction (two queries fewer); a POST does as VersionAdmin does."""
        if request.method in ("GET", "HEAD"):
            yield
            return
        with super().create_revision(request):
            yield

    def _snapshot_before_delete(self, request, objects):
        with reversion.create_revision():
            reversion.set_user(request.user if request.user.is_authenticated else None)
            reversion.set_comment(_("Deleted"))
            for obj in objects:
                reversion.add_to_revision(obj)
                for extra in self.deletion_snapshot_extra(obj):
                    reversion.add_to_revision(extra)

    def deletion_snapshot_extra(self, obj):
        """Other rows the deletion takes with it that recovering should bring back."""
        return []

    def deletion_touched(self, objects):
        """What deleting ``objects`` changes for readers (claims/caching/revision.py), read before
        the deletion; None moves every page."""
        return None

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._snapshot_before_delete(request, [obj])
            touched = self.deletion_touched([obj])
            super().delete_model(request, obj)
            content_changed(touched)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            objects = list(queryset)
            self._snapshot_before_delete(request, objects)
            touched = self.deletion_touched(objects)
            super().delete_queryset(request, queryset)
            content_changed(touched)

    # -----------------------------------------------------------------------------------------
    # The restore page: what the version would change, a note, and a button

    def restore_rows(self, version, current):
        """(label, now, in the version) for each field the page compares."""
        return []

    def restore_apply(self, request, version, form):
        """Restore ``version`` through the services; raise ValidationError to refuse.

        Returns (object to show next, or None for the list, and the message that says what happened)."""
        raise NotImplementedError

    def restore_reworded(self, version, current):
        """Whether the version's sentence reads otherwise than the stored one (offer the verdict alone)."""
        return False

    def has_recover_permission(self, request):
        return self.has_add_permission(request)

    def _restore_page(self, request, version, current, *, recover):
        if not (self.has_recover_permission(request) if recover else self.has_change_permission(request, current)):
            raise PermissionDenied
        form = RestoreForm(
            request.POST if request.method == "POST" else None,
            initial={"loaded_version": getattr(current, "version", None)},
            reworded=self.restore_reworded(version, current),
        )
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    obj, message = self.restore_apply(request, version, form)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, message)
                opts = self.model._meta
                if obj is None:
                    return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
                return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        rows = self.restore_rows(version, current)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": (_("Recover %(name)s") if recover else _("Restore %(name)s")) % {"name": version.object_repr},
            "version": version,
            "object": current,
            "rows": [(label, _display(now), _display(then), now != then) for label, now, then in rows],
            "changed": sum(1 for _label, now, then in rows if now != then),
            "form": form,
            "recover": recover,
        }
        return TemplateResponse(request, "admin/claims/restore.html", context)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        object_id = unquote(object_id)
        version = get_object_or_404(Version, pk=version_id, object_id=object_id)
        current = get_object_or_404(self.model, pk=object_id)
        return self._restore_page(request, version, current, recover=False)


class ClaimVersionAdmin(GuardedVersionAdmin):
    def get_deleted_objects(self, objs, request):
        # A claim's status history and its links' saved copies are never deleted on their own (their
        # admins are read-only), but they go with the claim: the history comes back with it (it is in
        # the deletion's version) and a recovered link is archived again. Deleting needs no right on them.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        follow = {str(StatusChange._meta.verbose_name), str(Snapshot._meta.verbose_name)}
        return deleted, counts, {name for name in perms_needed if str(name) not in follow}, protected

    # The admin's own version of a save is taken from the form's object, which the workflow did
    # not update in memory: take the claim again as stored once the whole save is done.
    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._record_stored(obj)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._record_stored(obj)
        return entry

    def _record_stored(self, obj):
        if reversion.is_active():
            reversion.add_to_revision(Claim.objects.get(pk=obj.pk))

    def restore_rows(self, version, current):
        then = version.field_dict
        rows = [
            (Claim._meta.get_field(name).verbose_name, getattr(current, name) if current else None, then.get(name))
            for name in ["statement", *services.RESTORED_FIELDS]
        ]
        rating_then = services.version_rating(then)
        rows.append(
            (
                Claim._meta.get_field("rating").verbose_name,
                current.rating.label if current and current.rating_id else None,
                rating_then.label if rating_then else None,
            )
        )
        links_now = sorted(f"{e.stance} | {e.url} | {e.title}" for e in (current.evidence.all() if current else ()))
        links_then = sorted(f"{e['stance']} | {e['url']} | {e['title']}" for e in services.version_evidence(version))
        rows.append((_("evidence"), "\n".join(links_now), "\n".join(links_then)))
        return rows

    def restore_reworded(self, version, current):
        return current is not None and version.field_dict.get("statement") != current.statement

    def has_recover_permission(self, request):
        # Recovering undoes a deletion: it needs the right to delete claims (chief editors).
        return self.has_delete_permission(request)

    def restore_apply(self, request, version, form):
        restored = services.claim_restore_version(
            version=version,
            user=request.user,
            note=form.cleaned_data.get("status_note", ""),
            verdict_only=form.cleaned_data.get("verdict_only"),
            expected_version=form.cleaned_data.get("loaded_version"),
        )
        if restored.proposals:
            # A recovery that waits has no claim to show yet: back to the list.
            shown = None if restored.recovered else restored.claim
            return shown, proposal_message(restored.proposals, replaced=restored.replaced)
        if restored.recovered:
            return restored.claim, _("Recovered the claim: it is public again.")
        when = localize(template_localtime(version.revision.date_created))
        return restored.claim, _("Restored the version saved on %(datetime)s.") % {"datetime": when}

    def recover_view(self, request, version_id, extra_context=None):
        if not self.has_recover_permission(request):
            raise PermissionDenied
        version = Version.objects.filter(pk=version_id).first()
        if (
            version is not None
            and version.content_type.model_class() is Claim
            and Claim.objects.filter(pk=version.object_id).exists()
        ):
            return self.revision_view(request, version.object_id, version_id, extra_context)
        try:
            version, _withdrawal = services.deletion_snapshot(version_id)
        except ValidationError as error:
            raise Http404(" ".join(error.messages)) from error
        return self._restore_page(request, version, None, recover=True)

    # Deleting goes through the services: a snapshot, a withdrawal readers can read, and sign-off.
    def delete_model(self, request, obj):
        self._delete(request, [obj])

    def delete_queryset(self, request, queryset):
        self._delete(request, list(queryset))

    def _delete(self, request, claims):
        services.claims_delete(claims=claims, user=request.user, via=StatusChange.Via.ADMIN)

    def log_deletions(self, request, queryset):
        if not services.sign_off_applies(StatusChange.Via.ADMIN):  # a proposal is its own record
            return super().log_deletions(request, queryset)
        return None

    def response_delete(self, request, obj_display, obj_id):
        proposal = Proposal.objects.open().filter(claim_id=obj_id, action=Proposal.Action.DELETE).first()
        if proposal is None:
            return super().response_delete(request, obj_display, obj_id)
        replaced = Proposal.objects.filter(
            claim_id=obj_id, state=Proposal.State.WITHDRAWN, reviewed_at=proposal.created_at
        ).count()
        self.message_user(request, proposal_message(1, replaced), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))


@admin.action(description=gettext_lazy("Delete selected claims (a proposal, with sign-off)"), permissions=["delete"])
def delete_selected(modeladmin, request, queryset):
    """Django's own confirmation page, then the deletion service: with sign-off on, proposals."""
    if not (request.POST.get("post") and queryset.exists()):
        return django_delete_selected(modeladmin, request, queryset)
    claims = list(queryset)
    proposals, replaced = services.claims_delete(claims=claims, user=request.user, via=StatusChange.Via.ADMIN)
    if proposals:
        modeladmin.message_user(request, proposal_message(len(proposals), len(replaced)), messages.WARNING)
    else:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d claim deleted. Its address now says it was withdrawn.",
                "%(count)d claims deleted. Their addresses now say they were withdrawn.",
                len(claims),
            )
            % {"count": len(claims)},
            messages.SUCCESS,
        )
    return None


class ArticleVersionAdmin(GuardedVersionAdmin):
    def deletion_touched(self, objects):
        """A deleted article (it has no claims: they protect it) leaves its page and the lists."""
        return Touched(article_slugs={article.slug for article in objects})

    def restore_rows(self, version, current):
        then = version.field_dict
        return [
            (Article._meta.get_field(name).verbose_name, getattr(current, name, None), then.get(name))
            for name in services.ARTICLE_FIELDS
        ]

    def restore_apply(self, request, version, form):
        article = services.article_restore_version(
            version=version, user=request.user, note=form.cleaned_data.get("status_note")
        )
        when = localize(template_localtime(version.revision.date_created))
        return article, _("Restored the version saved on %(datetime)s.") % {"datetime": when}

    def recover_view(self, request, version_id, extra_context=None):
        version = get_object_or_404(Version, pk=version_id)
        current = Article.objects.filter(pk=version.object_id).first()
        return self._restore_page(request, version, current, recover=current is None)
