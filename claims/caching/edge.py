"""The edge: what a shared cache (Varnish, a CDN) needs to keep public pages, and purging them.

Every public page and every API answer carries ``Cache-Control: public, max-age=0,
must-revalidate, s-maxage=N`` (a browser asks again each time, a 304 from the ETag is cheap; a
shared cache keeps the answer N seconds) and its surrogate keys, in the header and the format
the configured edge reads (:data:`KEY_HEADERS`): ``xkey`` for Varnish's vmod_xkey,
``Surrogate-Key`` for Fastly, ``Cache-Tag`` for Cloudflare, each stripped by that edge before
readers get the answer (deploy/varnish.vcl does it for Varnish). The keys are ``all`` and the
scopes the answer is keyed by (claims/caching/revision.py) first, then every article, claim and
tag it shows. An answer changes only when one of its scopes moves, and a change purges exactly
the scopes it moved, so the scopes are the keys a purge must reach; Fastly and Cloudflare ignore
the keys past 16 KB of header, which can then only be the others.

When a change commits, the scopes it touched are purged at the edge. The keys are written to an
``EdgePurge`` row in the change's own transaction (an outbox): after the commit the row is sent
at once, and a row that could not be sent (the edge down, the process killed between the commit
and the purge) stays pending and is sent by the next change's commit or by
``manage.py purge_edge`` (run it with ``--loop``, or every minute). Nothing is purged before the
new revisions are published, so an edge that fetches again at once gets the new page.

Every purge is sent a second time, :data:`REPEAT_AFTER` after the first. If Redis refused the
publication of a new revision (a fault), app servers go on reading the old one, and serving the
old pages, until its key expires (``SHARED_REVISION_TIMEOUT``); an edge that fetched a page in
that window would keep the old page for ``s-maxage``. The second purge drops it. The row is done
(``sent_at``) only after the second send; the next change's commit and ``purge_edge`` send the
second purges that are due.

Settings (hundredmodels/settings.py): ``EDGE_PURGE_BACKEND`` is "" (no edge: ``s-maxage=0`` so
that no shared cache keeps a page it would not be told about), ``"varnish"`` (``EDGE_PURGE_URLS``:
each Varnish's address, sent ``PURGE`` with an ``xkey-purge`` header, as deploy/varnish.vcl
expects), ``"fastly"`` (``EDGE_FASTLY_SERVICE``, ``EDGE_FASTLY_TOKEN``) or ``"cloudflare"``
(``EDGE_CLOUDFLARE_ZONE``, ``EDGE_CLOUDFLARE_TOKEN``; purge by tag); ``EDGE_S_MAXAGE``.
"""

import datetime
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.cache import patch_cache_control

from claims.models import EdgePurge

from .revision import ALL, SHARED_REVISION_TIMEOUT

logger = logging.getLogger(__name__)

RETRY_BATCH = 50  # pending rows retried after each commit's own purge
# The second purge: once a revision whose publication Redis refused has expired everywhere, with a
# margin for a page rendered from it just before (a cold render of a large article takes a second).
REPEAT_MARGIN = 5
REPEAT_AFTER = datetime.timedelta(seconds=SHARED_REVISION_TIMEOUT + REPEAT_MARGIN)


def s_maxage():
    """Seconds a shared cache may keep a page: none unless it is told of changes (a purge backend)."""
    if not purge_backend_name():
        return 0
    return int(getattr(settings, "EDGE_S_MAXAGE", 86400))


@dataclass(frozen=True)
class KeyHeader:
    """How an edge reads an answer's keys: the header, the separator, the most bytes it reads."""

    name: str
    separator: str
    limit: int | None = None

    def value(self, keys):
        """The keys in order, as many as fit whole within the limit."""
        if self.limit is None:
            return self.separator.join(keys)
        kept, size = [], 0
        for key in keys:
            size += len(key.encode()) + (len(self.separator) if kept else 0)
            if size > self.limit:
                break
            kept.append(key)
        return self.separator.join(kept)


# Fastly: space-separated, only the keys entirely within the first 16,384 bytes are applied, and
# Fastly strips the header. Cloudflare: comma-separated, at most 16 KB after the field name, and
# Cloudflare strips it. Varnish: deploy/varnish.vcl strips it (varnishd's http_resp_hdr_len bounds it).
KEY_HEADERS = {
    "varnish": KeyHeader("xkey", " "),
    "fastly": KeyHeader("Surrogate-Key", " ", 16384),
    "cloudflare": KeyHeader("Cache-Tag", ",", 16384),
}


def add_edge_headers(response, scopes, shown=()):
    """Cache-Control for browsers and shared caches, and the surrogate keys for the configured
    edge (none without one): ``all``, the answer's ``scopes``, then the other keys it ``shown``."""
    patch_cache_control(response, public=True, max_age=0, must_revalidate=True, s_maxage=s_maxage())
    header = KEY_HEADERS.get(purge_backend_name())
    if header is not None:
        first = list(dict.fromkeys([ALL, *scopes]))
        response.headers[header.name] = header.value(first + sorted(set(shown) - set(first)))
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
    """Send one purge request; returns the answer's body."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            if answer.status >= 300:
                raise PurgeFailed(f"{request.full_url}: HTTP {answer.status}")
            return answer.read()
    except urllib.error.HTTPError as error:
        raise PurgeFailed(f"{request.full_url}: HTTP {error.code}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:  # ValueError: a malformed address
        raise PurgeFailed(f"{request.full_url}: {error}") from error


def varnish_purge(keys, timeout):
    """PURGE to each Varnish with the keys in ``xkey-purge`` (deploy/varnish.vcl)."""
    for url in getattr(settings, "EDGE_PURGE_URLS", ()):
        _send(urllib.request.Request(url, method="PURGE", headers={"xkey-purge": " ".join(keys)}), timeout)


def fastly_purge(keys, timeout):
    """Fastly's batch purge by surrogate key: POST /service/<id>/purge with the keys space-separated
    in a ``Surrogate-Key`` request header (at most 256 a request)."""
    api = getattr(settings, "EDGE_FASTLY_API", "https://api.fastly.com")
    request = urllib.request.Request(
        f"{api}/service/{settings.EDGE_FASTLY_SERVICE}/purge",
        method="POST",
        headers={
            "Fastly-Key": settings.EDGE_FASTLY_TOKEN,
            "Surrogate-Key": " ".join(keys),
            "Accept": "application/json",
        },
    )
    _send(request, timeout)


def cloudflare_purge(keys, timeout):
    """Cloudflare's purge by cache tag: POST /zones/<zone>/purge_cache with {"tags": [...]} (at
    most 30 tags a request in Cloudflare's API reference); an answer with ``"success": false`` failed."""
    api = getattr(settings, "EDGE_CLOUDFLARE_API", "https://api.cloudflare.com/client/v4")
    request = urllib.request.Request(
        f"{api}/zones/{settings.EDGE_CLOUDFLARE_ZONE}/purge_cache",
        method="POST",
        data=json.dumps({"tags": list(keys)}).encode(),
        headers={"Authorization": f"Bearer {settings.EDGE_CLOUDFLARE_TOKEN}", "Content-Type": "application/json"},
    )
    body = _send(request, timeout)
    try:
        success = json.loads(body or b"{}").get("success", True)
    except (ValueError, AttributeError):
        success = False
    if success is not True:
        raise PurgeFailed(f"{request.full_url}: {body[:300]!r}")


BACKENDS = {"varnish": varnish_purge, "fastly": fastly_purge, "cloudflare": cloudflare_purge}
# Keys in one purge request: the header's size for Varnish, the providers' documented limits.
KEYS_PER_REQUEST = {"varnish": 200, "fastly": 256, "cloudflare": 30}


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
        if not failed:  # the edge answers: rows an earlier commit could not send, second purges due
            send_pending(limit=RETRY_BATCH)
    except DatabaseError as error:  # the change is committed; the command sends the row later
        logger.warning("Edge purge deferred (%s)", error)
    except Exception:  # never fail the editor's committed request; the row stays pending
        logger.exception("Edge purge deferred")


def send_pending(*, only=None, limit=None, now=None):
    """Send the purges that are due, oldest first: those never sent, and the second sends whose
    ``repeat_at`` has come. Returns (sent, failed), each send counted. A row another process is
    sending is skipped (PostgreSQL); a failure is counted on the row and left pending."""
    backend = purge_backend()
    if backend is None:
        return 0, 0
    timeout = float(getattr(settings, "EDGE_PURGE_TIMEOUT", 2.0))
    now = now or timezone.now()
    step = KEYS_PER_REQUEST[purge_backend_name()]
    sent = failed = 0
    with transaction.atomic():
        rows = EdgePurge.objects.filter(Q(repeat_at__isnull=True) | Q(repeat_at__lte=now), sent_at__isnull=True)
        if only is not None:
            rows = rows.filter(pk__in=only)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        rows = list(rows.order_by("pk")[:limit] if limit else rows.order_by("pk"))
        for row in rows:
            try:
                for start in range(0, len(row.keys), step):
                    backend(row.keys[start : start + step], timeout)
            except PurgeFailed as error:
                row.attempts += 1
                row.last_error = str(error)[:1000]
                row.save(update_fields=["attempts", "last_error"])
                logger.warning("Edge purge #%s failed (attempt %s): %s", row.pk, row.attempts, error)
                failed += 1
                continue
            row.attempts += 1
            row.last_error = ""
            if row.repeat_at is None:  # the first send: again once no app server serves the old pages
                row.repeat_at = now + REPEAT_AFTER
            else:
                row.sent_at = now
            row.save(update_fields=["attempts", "repeat_at", "sent_at", "last_error"])
            sent += 1
    return sent, failed
