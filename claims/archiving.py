"""Snapshots of the sources evidence cites, and the changes of those sources since (docs/archiving.md).

Archive on citing: when the one write path (services/workflow.py) writes an evidence link that
is new or whose URL changed, it queues :func:`archive_task` on commit (django-tasks, run by
``manage.py db_worker``); an editor's save never waits for a fetch. The task fetches the page
through the link checker's safe fetcher (``linkcheck.fetch_page``: public addresses only, or
CLAIMS_FETCH_ALLOW_HOSTS; every redirect checked; one deadline; a size limit) and keeps a
:class:`~claims.models.Snapshot`: the response as a WARC record (warcio) in the default storage,
the main text (trafilatura) and its SHA-256, the title, the time and the status. With
CLAIMS_ARCHIVE_WAYBACK the Internet Archive's Save Page Now is asked too, and its copy's address
kept. ``manage.py archive_evidence`` does the same synchronously.

Drift: :func:`check_sources` (``manage.py check_links``) fetches each source again and compares
it with its snapshot: gone (an HTTP error or no answer), moved (it now ends at another address),
the excerpt no longer in its text (compared after NFKC, whitespace ignored) or its text changed
beyond CLAIMS_DRIFT_MIN_RATIO (a source that only timed out is asked again next time). A change is kept as a ``check`` snapshot and waits in the review
queue (出典の変化) until an editor has looked; nothing about the claim changes by itself.
"""

import difflib
import hashlib
import io
import logging
import re
import time
import unicodedata
from datetime import timedelta
from urllib.parse import quote, urljoin, urlsplit

import trafilatura
import trafilatura.utils
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from lxml import html as lxml_html
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from claims import linkcheck
from claims.caching.revision import Touched, content_changed
from claims.models import Evidence, Snapshot
from claims.validators import visible_text

logger = logging.getLogger(__name__)
Drift = Snapshot.Drift
TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
WAYBACK = "https://web.archive.org"
WHITESPACE = re.compile(r"\s+")
CHARSET = re.compile(r"charset=([^;\s]+)", re.IGNORECASE)


def fetch(url):
    return linkcheck.fetch_page(
        url, timeout=settings.CLAIMS_ARCHIVE_TIMEOUT, max_bytes=settings.CLAIMS_ARCHIVE_MAX_BYTES
    )


def main_text(page):
    """The page's title and main text (plain text), or empty strings for what is not a text page."""
    mime = page.content_type.split(";")[0].strip().lower()
    if not page.body or (mime and mime not in TEXT_TYPES):
        return "", ""
    body = decoded(page)
    if mime == "text/plain":
        return "", body
    text = trafilatura.extract(body, url=page.final_url or page.url, include_comments=False) or ""
    title = ""
    try:
        found = lxml_html.fromstring(body).findtext(".//title")
        title = WHITESPACE.sub(" ", found or "").strip()
    except (ValueError, lxml_html.etree.ParserError):
        pass
    return title[:500], text


def decoded(page):
    """The body as text: in the charset the response names, or as the extractor guesses it."""
    charset = CHARSET.search(page.content_type)
    if charset:
        try:
            return page.body.decode(charset.group(1).strip("\"'"), errors="replace")
        except LookupError:
            pass
    return trafilatura.utils.decode_file(page.body)


def warc_record(page):
    """The response as one gzipped WARC record, or None when no response came back."""
    if page.status_code is None:
        return None
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    # The body is stored as read (de-chunked), so the transfer encoding no longer applies.
    headers = [(name, value) for name, value in page.headers if name.lower() != "transfer-encoding"]
    http_headers = StatusAndHeaders(f"{page.status_code} {page.reason}".strip(), headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        page.final_url or page.url, "response", payload=io.BytesIO(page.body), http_headers=http_headers
    )
    writer.write_record(record)
    return buffer.getvalue()


def snapshot_of(evidence, page, *, kind=Snapshot.Kind.ARCHIVE):
    """An unsaved Snapshot of ``page`` (its WARC file is stored on save)."""
    title, text = main_text(page) if page.status_code and page.status_code < 400 else ("", "")
    text = visible_text(text)  # what the site's validators refuse never reaches a page
    snapshot = Snapshot(
        evidence=evidence,
        kind=kind,
        url=page.url[:2000],
        final_url=page.final_url[:2000],
        fetched_at=timezone.now(),
        status_code=page.status_code,
        content_type=page.content_type,
        title=title,
        text=text,
        text_sha256=hashlib.sha256(text.encode()).hexdigest() if text else "",
        error=page.error[:300] or ("" if page.status_code is None or page.status_code < 400 else page_problem(page)),
    )
    snapshot.warc_bytes = warc_record(page)
    return snapshot


def page_problem(page):
    return linkcheck.problem_text(linkcheck.LinkResult(page.url, page.status_code, False))


def save_snapshot(snapshot):
    """Store the snapshot and its WARC file; the claim's page shows the copy at once."""
    data = getattr(snapshot, "warc_bytes", None)
    if data:
        name = f"evidence-{snapshot.evidence_id}-{snapshot.fetched_at:%Y%m%dT%H%M%S}.warc.gz"
        snapshot.warc.save(name, ContentFile(data), save=False)
    with transaction.atomic():
        snapshot.save()
        if snapshot.kind == Snapshot.Kind.ARCHIVE:
            content_changed(Touched(claims={snapshot.evidence.claim_id}, index=False))
    return snapshot


def wayback_save(url):
    """Ask the Internet Archive's Save Page Now to archive ``url``; the copy's address, or ""."""
    page = linkcheck.fetch_page(
        settings.CLAIMS_ARCHIVE_WAYBACK_ENDPOINT + quote(url, safe=":/?&=%#"),
        timeout=max(settings.CLAIMS_ARCHIVE_TIMEOUT, 60),
        max_bytes=1024 * 1024,
    )
    if page.error or not page.status_code or page.status_code >= 400:
        return ""
    location = next((value for name, value in page.headers if name.lower() == "content-location"), "")
    for candidate in (location, page.final_url):
        path = candidate.split("web.archive.org", 1)[-1] if candidate else ""
        if re.match(r"^/web/\d{8,14}", path):
            return urljoin(WAYBACK, path)
    return ""


def archive(evidence):
    """Fetch ``evidence``'s source now and keep a snapshot of it (and a Wayback copy when configured)."""
    snapshot = snapshot_of(evidence, fetch(evidence.url))
    if settings.CLAIMS_ARCHIVE_WAYBACK and snapshot.status_code and snapshot.status_code < 400:
        snapshot.wayback_url = wayback_save(evidence.url)
    return save_snapshot(snapshot)


@task()
def archive_task(*, evidence_ids):
    """Archive the sources of these evidence links (queued when they are cited). Returns how many."""
    done = 0
    for evidence in Evidence.objects.filter(pk__in=evidence_ids).select_related("claim"):
        try:
            archive(evidence)
        except Exception:  # one page the extractor chokes on never stops the others
            logger.exception("archiving evidence %s failed", evidence.pk)
            continue
        done += 1
    schedule_source_checks()  # citing a source starts the periodic check when it is turned on
    return done


@task()
def check_sources_task():
    """The periodic drift check in the task worker: compare every source with its snapshot, then
    come back in CLAIMS_SOURCE_CHECK_HOURS (0, the default, leaves it to cron and check_links)."""
    found = check_sources(delay=1.0)
    schedule_source_checks()
    return len(found)


def schedule_source_checks():
    """Queue the next periodic drift check, unless one is queued already or the setting is off."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    hours = settings.CLAIMS_SOURCE_CHECK_HOURS
    if hours <= 0:
        return None
    waiting = DBTaskResult.objects.filter(task_path=check_sources_task.module_path, status=TaskResultStatus.READY)
    if waiting.exists():
        return None
    return check_sources_task.using(run_after=timezone.now() + timedelta(hours=hours)).enqueue()


def archive_on_commit(evidence_ids):
    """Queue the archiving of these evidence links once the transaction that wrote them commits."""
    ids = sorted({pk for pk in evidence_ids if pk is not None})
    if ids and settings.CLAIMS_ARCHIVE_ON_CITE:
        transaction.on_commit(lambda: archive_task.enqueue(evidence_ids=ids))


def without_snapshot():
    """Evidence links whose current URL has no copy readers are offered yet (a failed fetch is tried again)."""
    from django.db.models import Exists, OuterRef

    taken = Snapshot.objects.kept().filter(evidence=OuterRef("pk"), url=OuterRef("url"))
    return Evidence.objects.filter(~Exists(taken))


# ---------------------------------------------------------------------------------------------
# Drift


def folded(text):
    """Text as compared: NFKC, every whitespace removed (line breaks and spaces differ between copies)."""
    return WHITESPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def similarity(old, new):
    """How much of the old text the new one keeps (difflib's ratio over lines, 0 to 1)."""
    if old == new:
        return 1.0
    old_lines = [line for line in (folded(x) for x in old.splitlines()) if line]
    new_lines = [line for line in (folded(x) for x in new.splitlines()) if line]
    return difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).ratio()


def baseline(evidence):
    """The snapshot a new fetch is compared with: the latest readable one of the current URL, taken
    when cited or accepted by an editor after a change."""
    return (
        Snapshot.objects.filter(evidence=evidence, url=evidence.url, status_code__gte=200, status_code__lt=300)
        .exclude(text="")
        .filter(Q(kind=Snapshot.Kind.ARCHIVE) | Q(reviewed_at__isnull=False, drift__in=[Drift.EXCERPT, Drift.CHANGED]))
        .order_by("-fetched_at", "-pk")
        .first()
    )


def drift_of(evidence, old, page, new):
    """How the source changed between snapshot ``old`` and the new fetch (``page``, ``new``)."""
    if page.error or page.status_code is None or page.status_code >= 400:
        return Drift.GONE
    if page.final_url and page.final_url not in {old.url, old.final_url}:
        return Drift.MOVED
    if new.text_sha256 == old.text_sha256:
        return Drift.NONE
    excerpt = folded(evidence.excerpt)
    if excerpt and excerpt in folded(old.text) and excerpt not in folded(new.text):
        return Drift.EXCERPT
    if similarity(old.text, new.text) < settings.CLAIMS_DRIFT_MIN_RATIO:
        return Drift.CHANGED
    return Drift.NONE


def check_source(evidence):
    """Fetch ``evidence``'s source and compare it with its snapshot; the drift snapshot kept, or None."""
    old = baseline(evidence)
    if old is None:
        return None
    page = fetch(evidence.url)
    if page.timed_out:
        return None  # slow today is not gone: the next check asks again
    new = snapshot_of(evidence, page, kind=Snapshot.Kind.CHECK)
    new.drift = drift_of(evidence, old, page, new)
    if not new.drift:
        return None
    new.compared_to = old
    waiting = Snapshot.objects.drifted().filter(evidence=evidence, compared_to=old, drift=new.drift)
    if waiting.filter(text_sha256=new.text_sha256, status_code=new.status_code).exists():
        return None  # already in the review queue, as it is now
    return save_snapshot(new)


def check_sources(evidence=None, *, delay=0.0):
    """Compare every source (of ``evidence``, all by default) with its snapshot; the changes found.
    One request at a time, ``delay`` seconds apart when two go to the same host."""
    rows = (Evidence.objects.all() if evidence is None else evidence).select_related("claim")
    found = []
    last_host = None
    for row in sorted(rows, key=lambda row: (urlsplit(row.url).netloc.lower(), row.pk)):
        host = urlsplit(row.url).netloc.lower()
        if delay and host == last_host:
            time.sleep(delay)
        last_host = host
        snapshot = check_source(row)
        if snapshot is not None:
            found.append(snapshot)
    return found


def mark_reviewed(snapshot, *, user):
    """An editor has looked at a change of a source: it leaves the review queue (the claim is the
    editor's to change, through the write path); its text becomes what later checks compare with."""
    Snapshot.objects.filter(pk=snapshot.pk, reviewed_at__isnull=True).update(
        reviewed_at=timezone.now(), reviewed_by=user
    )
