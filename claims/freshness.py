"""Cached pages that never go stale.

Every change a reader could see moves ``ContentRevision.number`` on in the same transaction, and
every cached page is keyed by that number, so after a commit no app server, whatever cache it
uses, can serve an older page. Model saves and deletes are caught by signals; writes that bypass
them (``QuerySet.update``, ``bulk_create``) call :func:`content_changed` themselves.
"""

from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from .models import ContentRevision


def content_changed(**_kwargs):
    """Move the content revision on; call inside the transaction of the change."""
    if not ContentRevision.objects.filter(pk=1).update(number=F("number") + 1, changed_at=timezone.now()):
        ContentRevision.objects.get_or_create(pk=1)


def current_revision():
    """(number, changed_at) of the content readers see now: one small query."""
    row = ContentRevision.objects.filter(pk=1).values_list("number", "changed_at").first()
    if row is None:
        revision, _created = ContentRevision.objects.get_or_create(pk=1)
        row = (revision.number, revision.changed_at)
    return row


def connect_signals():
    from taggit.models import Tag, TaggedItem

    from .models import Article, Claim, Evidence, StatusChange

    for model in (Article, Claim, Evidence, StatusChange, Tag, TaggedItem):
        post_save.connect(content_changed, sender=model, dispatch_uid=f"freshness-save-{model.__name__}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"freshness-delete-{model.__name__}")
    m2m_changed.connect(content_changed, sender=Claim.tags.through, dispatch_uid="freshness-claim-tags")
