"""The edge: what a shared cache (Varnish, a CDN) needs to keep public pages, and purging them.

Every public page carries ``Cache-Control: public, max-age=0, must-revalidate, s-maxage=N`` (a
browser asks again each time, a 304 from the ETag is cheap; a shared cache keeps the page N
seconds) and its surrogate keys in ``Surrogate-Key`` (Fastly and most CDNs) and ``xkey``
(Varnish's vmod_xkey): ``all``, the scopes the page is keyed by (claims/caching/revision.py) and
every article, claim and tag it shows.

When a change commits, the scopes it touched are purged at the edge. The keys are written to an
``EdgePurge`` row in the change's own transaction (an outbox): after the commit the row is sent
at once, and a row that could not be sent (the edge down, the process killed between the commit
and the purge) stays pending and is sent by the next change's commit or by
``manage.py purge_edge`` (run it every minute, or with ``--loop``). Nothing is purged before the
new revisions are published, so an edge that fetches again at once gets the new page.

Settings (hundredmodels/settings.py): ``EDGE_PURGE_BACKEND`` is "" (no edge: ``s-maxage=0`` so
that no shared cache keeps a page it would not be told about), ``"varnish"`` (``EDGE_PURGE_URLS``:
each Varnish's address, sent ``PURGE`` with an ``xkey-purge`` header, as deploy/varnish.vcl
expects), ``"fastly"`` (``EDGE_FASTLY_SERVICE``, ``EDGE_FASTLY_TOKEN``) or ``"cloudflare"``
(``EDGE_CLOUDFLARE_ZONE``, ``EDGE_CLOUDFLARE_TOKEN``; purge by tag); ``EDGE_S_MAXAGE``.
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.cache import patch_cache_control

from claims.models import EdgePurge

from .revision import ALL

logger = logging.getLogger(__name__)

RETRY_BATCH = 50  # pending rows retried after each commit's own purge
KEYS_PER_REQUEST = 200  # surrogate keys in one purge request (header size, CDN limits)


def s_maxage():
    """Seconds a shared cache may keep a page: none unless it is told of changes (a purge backend)."""
    if not purge_backend_name():
        return 0
    return int(getattr(settings, "EDGE_S_MAXAGE", 86400))


def add_edge_headers(response, keys):
    """Cache-Control for browsers and shared caches, and the page's surrogate keys."""
    patch_cache_control(response, public=True, max_age=0, must_revalidate=True, s_maxage=s_maxage())
    value = " ".join(sorted({ALL, *keys}))
    response.headers["Surrogate-Key"] = value
    response.headers["xkey"] = value
    return response


def page_surrogate_keys(context):
    """The articles, claims and tags a page shows, from its template context. A list costs no
    query (only the tags it prefetched are named); an article's page costs one (its public claims
    and their tags), made only when an edge is configured: without one, nobody reads the keys."""
    from claims.models import Article, Claim

    from .revision import article_scope, claim_scope, tag_scope

    keys = set()
    shown = context.get("object")
    if isinstance(shown, Article) and shown.pk and purge_backend_name():
        for claim_pk, tag_pk in Claim.objects.public().filter(article=shown).values_list("pk", "tags__pk"):
            keys.add(claim_scope(claim_pk))
            if tag_pk is not None:
                keys.add(tag_scope(tag_pk))

    def add(item):
        if isinstance(item, Claim):
            keys.add(claim_scope(item.pk))
            if "article" in item._state.fields_cache:
                keys.add(article_scope(item.article.slug))
            for tag in getattr(item, "_prefetched_objects_cache", {}).get("tags", ()):
                keys.add(tag_scope(tag.pk))
        elif isinstance(item, Article):
            keys.add(article_scope(item.slug))
        elif getattr(item, "_meta", None) is not None and item._meta.label == "taggit.Tag":
            keys.add(tag_scope(item.pk))

    for name in ("object", "article", "claim", "tag"):
        add(context.get(name))
    for name in ("object_list", "claims", "articles"):
        value = context.get(name)
        if value is not None and not isinstance(value, str | bytes):
            try:
                items = list(value)
            except TypeError:
                continue
            for item in items:
                add(item)
    return keys


# ---------------------------------------------------------------------------------------------
# Purging


class PurgeFailed(Exception):
    pass


def _send(request, timeout):
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            if answer.status >= 300:
                raise PurgeFailed(f"{request.full_url}: HTTP {answer.status}")
    except urllib.error.HTTPError as error:
        raise PurgeFailed(f"{request.full_url}: HTTP {error.code}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:  # ValueError: a malformed address
        raise PurgeFailed(f"{request.full_url}: {error}") from error


def varnish_purge(keys, timeout):
    """PURGE to each Varnish with the keys in ``xkey-purge`` (deploy/varnish.vcl)."""
    for url in getattr(settings, "EDGE_PURGE_URLS", ()):
        _send(urllib.request.Request(url, method="PURGE", headers={"xkey-purge": " ".join(keys)}), timeout)


def fastly_purge(keys, timeout):
    """Fastly's purge by surrogate key (by configuration only: not tested against Fastly here)."""
    service = settings.EDGE_FASTLY_SERVICE
    request = urllib.request.Request(
        f"https://api.fastly.com/service/{service}/purge",
        method="POST",
        headers={"Fastly-Key": settings.EDGE_FASTLY_TOKEN, "Surrogate-Key": " ".join(keys)},
    )
    _send(request, timeout)


def cloudflare_purge(keys, timeout):
    """Cloudflare's purge by tag (by configuration only: not tested against Cloudflare here)."""
    request = urllib.request.Request(
        f"https://api.cloudflare.com/client/v4/zones/{settings.EDGE_CLOUDFLARE_ZONE}/purge_cache",
        method="POST",
        data=json.dumps({"tags": list(keys)}).encode(),
        headers={"Authorization": f"Bearer {settings.EDGE_CLOUDFLARE_TOKEN}", "Content-Type": "application/json"},
    )
    _send(request, timeout)


BACKENDS = {"varnish": varnish_purge, "fastly": fastly_purge, "cloudflare": cloudflare_purge}


def purge_backend_name():
    return getattr(settings, "EDGE_PURGE_BACKEND", "") or ""


def purge_backend():
    name = purge_backend_name()
    return BACKENDS[name] if name else None


def purge_on_commit(keys):
    """Inside the change's transaction: write the outbox row; after the commit, send it."""
    if purge_backend() is None:
        return None
    row = EdgePurge.objects.create(keys=list(keys))
    transaction.on_commit(lambda: _after_commit(row.pk))
    return row


def _after_commit(pk):
    try:
        _sent, failed = send_pending(only=[pk])
        if not failed:  # the edge answers: send any row an earlier commit could not
            send_pending(limit=RETRY_BATCH)
    except DatabaseError as error:  # the change is committed; the command sends the row later
        logger.warning("Edge purge deferred (%s)", error)
    except Exception:  # never fail the editor's committed request; the row stays pending
        logger.exception("Edge purge deferred")


def send_pending(*, only=None, limit=None):
    """Send pending purges, oldest first; returns (sent, failed). A row another process is sending
    is skipped (PostgreSQL); a failure is counted on the row and left pending."""
    backend = purge_backend()
    if backend is None:
        return 0, 0
    timeout = float(getattr(settings, "EDGE_PURGE_TIMEOUT", 2.0))
    sent = failed = 0
    with transaction.atomic():
        rows = EdgePurge.objects.filter(sent_at__isnull=True)
        if only is not None:
            rows = rows.filter(pk__in=only)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        rows = list(rows.order_by("pk")[:limit] if limit else rows.order_by("pk"))
        for row in rows:
            try:
                for start in range(0, len(row.keys), KEYS_PER_REQUEST):
                    backend(row.keys[start : start + KEYS_PER_REQUEST], timeout)
            except PurgeFailed as error:
                row.attempts += 1
                row.last_error = str(error)[:1000]
                row.save(update_fields=["attempts", "last_error"])
                logger.warning("Edge purge #%s failed (attempt %s): %s", row.pk, row.attempts, error)
                failed += 1
                continue
            row.attempts += 1
            row.sent_at = timezone.now()
            row.last_error = ""
            row.save(update_fields=["attempts", "sent_at", "last_error"])
            sent += 1
    return sent, failed
