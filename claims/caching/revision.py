"""Cached pages that never go stale.

Every change a reader could see moves ``ContentRevision.number`` on in the same transaction, and
every cached page is keyed by that number, so after a commit no app server, whatever cache it
uses, can serve an older page. The services call :func:`content_changed` once per change,
explicitly (no signals: a bulk write would otherwise tell the cache once per row, or not at all).

With a shared Redis cache the app servers read the revision from Redis instead of the database
(a warm page then needs no database at all). The database stays the source: each commit that
moves the revision on publishes it to Redis before the editor's request returns, a missing key
is filled from the database, and Redis refuses a number lower than the one it holds, so a
reader that read the database just before a commit cannot put the older revision back. The key
lives ``SHARED_REVISION_TIMEOUT`` seconds, which bounds how long a publication lost to a Redis
fault (or a database restored from a backup) can go unseen.

While the database is down nobody can change the content, so the revision last published is
still the current one: every publication also writes it under ``LAST_KNOWN_KEY``, kept a day,
and when the short-lived key has expired and the database cannot be read, the last known
revision keys the pages. Stored pages are then served as long as the outage lasts; a page not
stored gets the fast 503 (claims/middleware.py).
"""

import datetime

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from claims.models import ContentRevision

SHARED_REVISION_KEY = "content-revision"
SHARED_REVISION_TIMEOUT = 10
LAST_KNOWN_KEY = "content-revision:last-known"
LAST_KNOWN_TIMEOUT = 60 * 60 * 24
DATABASE_ERRORS = (OperationalError, InterfaceError)
# After the database failed, readers of stored pages on every app server use the last known
# revision for this long before the database is asked again (a commit publishes to Redis at
# once, and that key is read first).
DATABASE_RETRY_AFTER = 15
DATABASE_FAILED_KEY = "content-revision:database-failed"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def content_changed(**_kwargs):
    """Move the content revision on; call inside the transaction of the change."""
    if not ContentRevision.objects.filter(pk=1).update(number=F("number") + 1, changed_at=timezone.now()):
        ContentRevision.objects.get_or_create(pk=1)
    if _shared_cache() is not None:
        transaction.on_commit(publish_revision)


def current_revision():
    """(number, changed_at) of the content readers see now: one Redis read or one small query."""
    shared = _shared_cache()
    if shared is not None:
        value = shared.get_revision(SHARED_REVISION_KEY)
        if value is not None:
            return _parse(value)
    if shared is not None and shared.get(DATABASE_FAILED_KEY):
        # The database failed a moment ago (on any app server): do not make every reader wait for it.
        last_known = shared.get_revision(LAST_KNOWN_KEY)
        if last_known is not None:
            return _parse(last_known)
    try:
        from claims.middleware import database_deadline

        with database_deadline():
            revision = database_revision()
    except DATABASE_ERRORS:
        last_known = shared.get_revision(LAST_KNOWN_KEY) if shared is not None else None
        if last_known is None:
            raise
        shared.set(DATABASE_FAILED_KEY, 1, DATABASE_RETRY_AFTER)
        return _parse(last_known)
    if shared is not None:
        _offer(shared, revision)
    return revision


def _parse(value):
    number, microseconds = value.split(":")
    return int(number), EPOCH + datetime.timedelta(microseconds=int(microseconds))


def database_revision():
    row = ContentRevision.objects.filter(pk=1).values_list("number", "changed_at").first()
    if row is None:
        revision, _created = ContentRevision.objects.get_or_create(pk=1)
        row = (revision.number, revision.changed_at)
    return row


def publish_revision():
    """After a commit: tell every app server, through Redis, of the revision now in the database."""
    shared = _shared_cache()
    if shared is not None:
        _offer(shared, database_revision())


def revision_label(revision):
    """The revision as "number:microseconds" (a restored backup reuses numbers, so the time too)."""
    number, changed_at = revision
    return f"{number}:{(changed_at - EPOCH) // datetime.timedelta(microseconds=1)}"


def _offer(shared, revision):
    shared.offer_revision(SHARED_REVISION_KEY, revision[0], revision_label(revision), SHARED_REVISION_TIMEOUT)
    shared.offer_revision(LAST_KNOWN_KEY, revision[0], revision_label(revision), LAST_KNOWN_TIMEOUT)


def _shared_cache():
    """The shared cache when it can hold the revision (Redis); None for a cache of this process's own."""
    return cache if hasattr(cache, "offer_revision") else None
