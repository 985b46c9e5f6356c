"""Nothing lost: every admin change to a claim, its evidence or an article is a django-reversion
version that can be viewed and restored, and an admin deletion keeps a last version to recover.

Restoring never goes around the workflow. django-reversion restores rows as they were, which for
a claim would set its status without a history row or a rule check, put its anchor on a place
in the article that may now be another statement's, and for an article change the text without
re-anchoring its claims. So when an editor confirms a restore, the fields that only the workflow
may write are first put back as they are now; the old values arrive through the form like any
edit and go the usual way: ``claim_change_status`` (rules, one ``StatusChange`` row, via
"admin form"), ``claim_locate`` for the statement, ``article_update`` (re-anchoring) for the text.
"""

from contextlib import nullcontext

import reversion
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.shortcuts import redirect
from django.utils.encoding import force_str
from django.utils.formats import localize
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from reversion.admin import VersionAdmin
from reversion.errors import RevertError
from reversion.utils import mute_signals

from . import services, text
from .models import Article, Claim, Evidence, StatusChange

# Written only by the workflow (services): a restore puts these back as they are now.
CLAIM_WORKFLOW_FIELDS = ["status", "last_checked", "version"]
CLAIM_ANCHOR_FIELDS = ["statement", "prefix", "suffix", "position", "section", "is_anchored"]


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


class _Rollback(Exception):
    def __init__(self, response):
        self.response = response


class GuardedVersionAdmin(VersionAdmin):
    """VersionAdmin whose restore runs ``revert_restore_workflow`` between the revert and the form."""

    history_latest_first = True

    # Reading a list or a form writes nothing: no revision, no transaction (two queries fewer).
    def changelist_view(self, request, extra_context=None):
        if request.method in ("GET", "HEAD"):
            context = {"has_change_permission": self.has_change_permission(request), **(extra_context or {})}
            return super(VersionAdmin, self).changelist_view(request, context)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD"):
            return super(VersionAdmin, self).change_view(request, object_id, form_url, extra_context)
        return super().change_view(request, object_id, form_url, extra_context)

    def revert_prepare(self, request, version):
        """Called before the revert, inside its transaction; returns what ``revert_restore_workflow`` needs."""
        return None

    def revert_restore_workflow(self, request, version, state):
        """Called after the revert, before the change form runs."""

    def _reversion_revisionform_view(self, request, version, template_name, extra_context=None):
        # django-reversion's own view, with the two hooks and one more way to roll back: a save
        # that the change form refused after validation (a concurrent edit) keeps nothing.
        if not connections[version.db].features.uses_savepoints:
            raise ImproperlyConfigured("Cannot use VersionAdmin with a database that does not support savepoints.")
        signals = (
            mute_signals(pre_save, post_save, pre_delete, post_delete, m2m_changed)
            if request.method == "GET"
            else nullcontext()
        )
        request._revert_in_progress = True
        try:
            with transaction.atomic(using=version.db), signals:
                state = self.revert_prepare(request, version)
                version.revision.revert(delete=True)
                self.revert_restore_workflow(request, version, state)
                with self.create_revision(request):
                    response = self.changeform_view(request, quote(version.object_id), request.path, extra_context)
                    refused = getattr(request, "_save_refused", False)
                    if request.method == "POST" and response.status_code == 302 and not refused:
                        reversion.set_comment(
                            _("Reverted to previous version, saved on %(datetime)s")
                            % {"datetime": localize(template_localtime(version.revision.date_created))}
                        )
                    elif refused:
                        raise _Rollback(response)
                    elif response.status_code == 200:
                        response.template_name = template_name
                        response.render()
                        raise _Rollback(response)
                    else:
                        raise RevertError(
                            _("Could not load %(object_repr)s version - not found")
                            % {"object_repr": version.object_repr}
                        )
        except (RevertError, models.ProtectedError) as error:
            messages.error(request, force_str(error))
            opts = self.model._meta
            return redirect(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        except _Rollback as rollback:
            return rollback.response
        return response

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

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._snapshot_before_delete(request, [obj])
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            self._snapshot_before_delete(request, list(queryset))
            super().delete_queryset(request, queryset)


class ClaimVersionAdmin(GuardedVersionAdmin):
    def deletion_snapshot_extra(self, obj):
        return list(obj.history.all())

    def get_deleted_objects(self, objs, request):
        # A claim's status history is never deleted on its own, but it goes with its claim and
        # comes back with it (it is in the deletion's version): deleting needs no right on it.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        history = str(StatusChange._meta.verbose_name)
        return deleted, counts, {name for name in perms_needed if str(name) != history}, protected

    # The status changes after the claim's row is saved (claim_change_status updates it in
    # place), so the version is taken again once the whole save is done.
    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._record_final_state(obj)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._record_final_state(obj)
        return entry

    def _record_final_state(self, obj):
        if reversion.is_active():
            reversion.add_to_revision(Claim.objects.get(pk=obj.pk))

    def revert_prepare(self, request, version):
        old = version._object_version.object
        live = Claim.objects.select_for_update().filter(pk=old.pk).values(*CLAIM_WORKFLOW_FIELDS, *CLAIM_ANCHOR_FIELDS)
        live = live.first()
        # The old version's place may be another claim's now: free it while the rows are restored.
        blocker = None
        if old.is_anchored:
            blocker = (
                Claim.objects.filter(article_id=old.article_id, position=old.position, is_anchored=True)
                .exclude(pk=old.pk)
                .values_list("pk", flat=True)
                .first()
            )
            if blocker is not None:
                Claim.objects.filter(pk=blocker).update(is_anchored=False)
        return {"pk": old.pk, "live": live, "blocker": blocker}

    def revert_restore_workflow(self, request, version, state):
        claim = Claim.objects.get(pk=state["pk"])
        live, blocker = state["live"], state["blocker"]
        if live is not None and request.method == "POST":
            # Restoring: status and anchor come back through the form and the workflow.
            Claim.objects.filter(pk=claim.pk).update(**live)
        elif live is not None:
            # Showing the old version: only the edit counter stays current, so the form's
            # concurrent-edit check compares against what is really saved.
            Claim.objects.filter(pk=claim.pk).update(version=live["version"])
        else:
            # Recovering a deleted claim: its status and its history come back together; its
            # anchor only if its statement is still a free sentence of the article.
            anchor = self._recovered_anchor(claim, blocked=blocker is not None)
            Claim.objects.filter(pk=claim.pk).update(**anchor)
        if blocker is not None:
            current = Claim.objects.filter(pk=claim.pk).values_list("is_anchored", "position").get()
            if not (current[0] and current[1] == version._object_version.object.position):
                Claim.objects.filter(pk=blocker).update(is_anchored=True)
            else:
                Claim.objects.filter(pk=claim.pk).update(is_anchored=False)
                Claim.objects.filter(pk=blocker).update(is_anchored=True)

    def _recovered_anchor(self, claim, *, blocked):
        body = claim.article.body
        at_place = [s for s in text.sentences(body) if s.start == claim.position and s.text == claim.statement]
        if at_place and not blocked:
            return services.claim_anchor_fields(body, at_place[0])
        try:
            sentence = services.claim_locate(article=claim.article, statement=claim.statement, exclude_pk=claim.pk)
        except services.ValidationError:
            return {"is_anchored": False}
        return services.claim_anchor_fields(body, sentence)


class ArticleVersionAdmin(GuardedVersionAdmin):
    def revert_prepare(self, request, version):
        return Article.objects.filter(pk=version.object_id).values("body").first()

    def revert_restore_workflow(self, request, version, state):
        if state is not None and request.method == "POST":
            # The old text arrives through the form, so saving it re-anchors the claims.
            Article.objects.filter(pk=version.object_id).update(body=state["body"])
