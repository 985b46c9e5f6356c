"""Cached pages that never go stale, and only the pages an edit touched are rendered again.

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

Scopes. The service that applies a change names what it touched (:class:`Touched`: articles,
claims, tags, and the index: every list, tag page, feed and sitemap) in its one call to
:func:`content_changed`. Each touched scope (``index``, ``article-<slug>``, ``claim-<pk>``,
``tag-<pk>``) gets the new revision in ``ScopeRevision``, in the same transaction, and a page is
keyed by the scopes it shows (claims/caching/pages.py ``page_scopes``) plus ``all``, which only a
change that names nothing moves: an edit to one article re-keys its page, its claims' pages and
the index, and no other article's pages. The scope revisions are published to Redis on commit
exactly as the content revision is (same refusal of a lower number, same lifetime, same last
known copy), and a warm page reads its scopes with one MGET. The same names are the surrogate
keys purged at the edge (claims/caching/edge.py).
"""

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from claims.models import Article, Claim, ContentRevision, ScopeRevision

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
SCOPE_KEY = "content-revision:scope:"
SCOPE_LAST_KNOWN_KEY = "content-revision:scope-last-known:"
NEVER_CHANGED = "0:0"  # a scope with no row yet: unchanged since the site began
ALL = "all"
INDEX = "index"


def article_scope(slug):
    return f"article-{slug}"


def claim_scope(pk):
    return f"claim-{pk}"


def tag_scope(pk):
    return f"tag-{pk}"


@dataclass
class Touched:
    """What one change touched, named by the service that applies it.

    ``articles``: article pks (or Article objects) whose page shows the change; ``article_slugs``:
    slugs an article had before a rename; ``claims``: claim pks whose page shows it; ``tags``: tag
    pks; ``index``: whether the lists (claims index, articles, tags, feed, sitemap, corrections,
    open data) show it, which they do for almost every change.
    """

    articles: set = field(default_factory=set)
    claims: set = field(default_factory=set)
    tags: set = field(default_factory=set)
    article_slugs: set = field(default_factory=set)
    index: bool = True

    def scopes(self):
        """The scope names, sorted (one query when articles are named by pk)."""
        objects = [article for article in self.articles if hasattr(article, "slug")]
        pks = {article for article in self.articles if not hasattr(article, "slug")} - {None}
        slugs = set(self.article_slugs) | {article.slug for article in objects}
        if pks:
            slugs.update(Article.objects.filter(pk__in=pks).values_list("slug", flat=True))
        names = {article_scope(slug) for slug in slugs if slug}
        names.update(claim_scope(pk) for pk in self.claims if pk is not None)
        names.update(tag_scope(pk) for pk in self.tags if pk is not None)
        if self.index:
            names.add(INDEX)
        return sorted(names)


def content_changed(touched=None):
    """Move the content revision on, and the revision of every scope ``touched`` names; call once
    per change, inside its transaction. Without ``touched`` every page moves (``all``)."""
    now = timezone.now()
    if not ContentRevision.objects.filter(pk=1).update(number=F("number") + 1, changed_at=now):
        ContentRevision.objects.get_or_create(pk=1)
    # This transaction holds the row now: the number read back is the one it wrote.
    number, changed_at = ContentRevision.objects.filter(pk=1).values_list("number", "changed_at").get()
    scopes = touched.scopes() if touched is not None else [ALL]
    ScopeRevision.objects.bulk_create(
        [ScopeRevision(scope=scope, number=number, changed_at=changed_at) for scope in scopes],
        update_conflicts=True,
        unique_fields=["scope"],
        update_fields=["number", "changed_at"],
        batch_size=500,
    )
    if _shared_cache() is not None:
        label = revision_label((number, changed_at))
        transaction.on_commit(lambda: publish_scopes(dict.fromkeys(scopes, (number, label))))
        transaction.on_commit(publish_revision)
    # After the publication (on_commit runs in order): an edge that fetches again at once gets the new page.
    from .edge import purge_on_commit

    purge_on_commit(scopes)
    return scopes


def scope_labels(scopes):
    """The revision label of each scope, in order: one Redis MGET when every scope is published,
    else one small query (and the answers published for the next reader)."""
    shared = _shared_cache()
    labels = [None] * len(scopes)
    if shared is not None:
        labels = shared.get_revisions([SCOPE_KEY + scope for scope in scopes])
        if None not in labels:
            return labels
    missing = [scope for scope, label in zip(scopes, labels, strict=True) if label is None]
    if shared is not None and shared.get(DATABASE_FAILED_KEY):
        found = _last_known(shared, missing)
        if found is not None:
            return [label or found[scope] for scope, label in zip(scopes, labels, strict=True)]
    try:
        from claims.middleware import database_deadline

        with database_deadline():
            rows = database_scopes(missing)
            publish = worth_publishing(rows) if shared is not None else {}
    except DATABASE_ERRORS:
        found = _last_known(shared, missing) if shared is not None else None
        if found is None:
            raise
        shared.set(DATABASE_FAILED_KEY, 1, DATABASE_RETRY_AFTER)
        return [label or found[scope] for scope, label in zip(scopes, labels, strict=True)]
    if shared is not None:
        publish_scopes(publish)
    return [label or rows[scope][1] for scope, label in zip(scopes, labels, strict=True)]


def database_scopes(scopes):
    """{scope: (number, label)} from the database; a scope never changed is (0, NEVER_CHANGED)."""
    rows = dict.fromkeys(scopes, (0, NEVER_CHANGED))
    for scope, number, changed_at in ScopeRevision.objects.filter(scope__in=scopes).values_list(
        "scope", "number", "changed_at"
    ):
        rows[scope] = (number, revision_label((number, changed_at)))
    return rows


def worth_publishing(rows):
    """The rows to publish: every scope that changed once, and a scope never changed only when it
    names a claim or an article that exists (one small query, on a miss): a URL that names
    nothing (/claims/<made-up>/) writes no key to the shared cache."""
    unchanged = [scope for scope, (number, _label) in rows.items() if not number]
    claim_ids = [int(scope[6:]) for scope in unchanged if scope.startswith("claim-") and scope[6:].isdigit()]
    slugs = [scope[8:] for scope in unchanged if scope.startswith("article-")]
    known = {ALL, INDEX, *(scope for scope in unchanged if scope.startswith("tag-"))}
    if claim_ids:
        known.update(claim_scope(pk) for pk in Claim.objects.filter(pk__in=claim_ids).values_list("pk", flat=True))
    if slugs:
        known.update(
            article_scope(slug) for slug in Article.objects.filter(slug__in=slugs).values_list("slug", flat=True)
        )
    return {scope: row for scope, row in rows.items() if row[0] or scope in known}


def publish_scopes(rows):
    """Offer {scope: (number, label)} to Redis (refused where a higher number is stored)."""
    shared = _shared_cache()
    if shared is None or not rows:
        return
    shared.offer_revisions({SCOPE_KEY + scope: value for scope, value in rows.items()}, SHARED_REVISION_TIMEOUT)
    # Keep this second command after the first: once Redis answers it, it has written the news of
    # the first to every process that holds these revisions (claims/caching/backend.py TrackedRevisions).
    shared.offer_revisions({SCOPE_LAST_KNOWN_KEY + scope: value for scope, value in rows.items()}, LAST_KNOWN_TIMEOUT)


def _last_known(shared, scopes):
    values = shared.get_revisions([SCOPE_LAST_KNOWN_KEY + scope for scope in scopes])
    if None in values:
        return None
    return dict(zip(scopes, values, strict=True))


def label_time(label):
    """The time a label was written (the epoch for a scope never changed)."""
    return _parse(label)[1]


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


def unpublish(scopes, *, last_known=False):
    """Drop the published revisions of ``scopes`` from Redis, as their expiry (or a Redis restart,
    with ``last_known``) does; the next reader reads the database."""
    shared = _shared_cache()
    if shared is not None:
        shared.delete_many(
            [SCOPE_KEY + scope for scope in scopes] + ([SCOPE_LAST_KNOWN_KEY + s for s in scopes] if last_known else [])
        )
        shared.ping()  # a second command: the deletion's news is on every tracking process's socket now
