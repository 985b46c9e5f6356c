"""Cached pages that never go stale.

Every change a reader could see moves ``ContentRevision.number`` on in the same transaction, and
every cached page is keyed by that number, so after a commit no app server, whatever cache it
uses, can serve an older page. Model saves and deletes are caught by signals; writes that bypass
them (``QuerySet.update``, ``bulk_create``) call :func:`content_changed` themselves.
"""

import datetime
import functools

from django.db import connection
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import ContentRevision


def content_changed(**_kwargs):
    """Move the content revision on; call inside the transaction of the change."""
    if not ContentRevision.objects.filter(pk=1).update(number=F("number") + 1, changed_at=timezone.now()):
        ContentRevision.objects.get_or_create(pk=1)


def current_revision():
    """(number, changed_at) of the content readers see now: one small query.

    Every warm page request runs it, so it is plain SQL: building the ORM query cost more than
    the database's answer.
    """
    with connection.cursor() as cursor:
        cursor.execute(_revision_sql())
        row = cursor.fetchone()
    if row is None:
        revision, _created = ContentRevision.objects.get_or_create(pk=1)
        return revision.number, revision.changed_at
    number, changed_at = row
    if isinstance(changed_at, str):  # SQLite answers with text
        changed_at = parse_datetime(changed_at)
    if timezone.is_naive(changed_at):
        changed_at = timezone.make_aware(changed_at, datetime.UTC)
    return number, changed_at


@functools.cache
def _revision_sql():
    meta, quote = ContentRevision._meta, connection.ops.quote_name
    number, changed_at = (quote(meta.get_field(name).column) for name in ("number", "changed_at"))
    return f"SELECT {number}, {changed_at} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = 1"


def connect_signals():
    from taggit.models import Tag, TaggedItem

    from .models import Article, Claim, Evidence, StatusChange

    for model in (Article, Claim, Evidence, StatusChange, Tag, TaggedItem):
        post_save.connect(content_changed, sender=model, dispatch_uid=f"freshness-save-{model.__name__}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"freshness-delete-{model.__name__}")
    m2m_changed.connect(content_changed, sender=Claim.tags.through, dispatch_uid="freshness-claim-tags")
