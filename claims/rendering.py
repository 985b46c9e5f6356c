"""The article body as readers see it: headings, paragraphs, and a badge after each claimed sentence.

The body, the claims and their notes are editors' text and are always escaped (``escape``, the
function ``format_html`` applies to its arguments). Rendering is done in pieces that are each
cached under a key naming everything they depend on, so nothing ever has to be invalidated:

* the text's blocks and sentences (``text.layout``), once per text;
* each paragraph that holds claims, once per (text of the paragraph, its claims and their
  versions), stored as the bytes the page sends;
* the badge of a claim listed apart from the text, once per version of the claim (``claim_badges``);
* the page's plan of an article's claims (``PagePlan``), kept in the process and brought up to date
  by the claims' versions.

After one claim changes, the page reads that claim's row again and renders its paragraph; the
other paragraphs are reused.
"""

import functools
import hashlib
import logging
from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from . import text
from .caching.pages import LocalPages, code_release
from .models import Claim, Rating
from .templatetags.claims_tags import badge_words, claim_badge, escape

logger = logging.getLogger(__name__)
FRAGMENT_TIMEOUT = 60 * 60 * 24 * 7  # a key names one rendering for good; this only bounds unused ones
# The most recent fragments in this process, in front of the shared cache (as caching.pages keeps
# pages): a key names its content for good, so a copy is never stale, and a 1,000-claim article's
# 200 paragraphs (1.5 MB) are not fetched and unpickled again for every render after an edit.
local_fragments = LocalPages(2048)
# Above this many badges to render, their details are read by article rather than by a list of
# claim ids (which would pass a parameter per claim to the database).
EVIDENCE_BY_ARTICLE = 200


@dataclass(slots=True)
class ShownClaim:
    """What the article page needs of a public claim to place it in the text and to count it.

    Read with ``values_list`` (:func:`shown_claims`): a page with 1,000 claims would otherwise spend
    more time building model instances than rendering its text. What only a badge shows (the note,
    the dates, the evidence) is read for the badges rendered now (:func:`render_badges`), or with
    the row of a claim that changed (:func:`page_plan`).
    """

    pk: int
    version: int
    status: str
    position: int
    statement: str
    is_anchored: bool
    rating_id: int | None = None
    is_claim: bool = True  # only public claims are read
    verdict_note: str = ""
    as_of: object = None
    last_checked: object = None
    evidence: list | None = None  # EvidenceLink rows, once read
    badge: str = ""
    rating_text: str = ""  # the rating's label in the page's language (set by render_badges)

    FIELDS = ("pk", "version", "status", "position", "statement", "is_anchored", "rating_id")

    @property
    def anchor_id(self):
        return f"claim-{self.pk}"


def shown_claims(article):
    """The article's public claims as :class:`ShownClaim` rows, in one query, in no order.

    Readers see the claims of a published article only (``ClaimQuerySet.public``); the article is
    at hand, so the query needs no join. The text gives the claims their order: the page places
    them by position, and only the few listed apart are sorted (:func:`unplaced_claims`).
    """
    if not article.is_published:
        return []
    return [ShownClaim(*row) for row in article.claims.filter(is_claim=True).order_by().values_list(*ShownClaim.FIELDS)]


@dataclass(frozen=True, slots=True)
class EvidenceLink:
    """An evidence link as the badge shows it."""

    stance: str
    url: str
    title: str
    publisher: str


BADGE_FIELDS = ("pk", "verdict_note", "as_of", "last_checked")
EVIDENCE_FIELDS = ("evidence__stance", "evidence__url", "evidence__title", "evidence__publisher")


def _read_badge_details(claims, article):
    """What the badges of ``claims`` show besides their status: note, dates and evidence, in one query.

    A claim read as a model instance has it already (its evidence through the ``evidence``
    relation); :class:`ShownClaim` rows get it here, from one query that joins the evidence.
    """
    rows = [claim for claim in claims if isinstance(claim, ShownClaim) and claim.evidence is None]
    if not rows:
        return
    by_pk = {claim.pk: claim for claim in rows}
    query = Claim.objects.order_by("pk", "evidence__pk")
    if article is not None and len(rows) > EVIDENCE_BY_ARTICLE:
        query = query.filter(article=article)  # a large batch: by article, not a parameter per claim
    else:
        query = query.filter(pk__in=list(by_pk))
    for pk, note, as_of, last_checked, *link in query.values_list(*BADGE_FIELDS, *EVIDENCE_FIELDS):
        claim = by_pk.get(pk)
        if claim is None:
            continue
        if claim.evidence is None:
            claim.verdict_note, claim.as_of, claim.last_checked, claim.evidence = note or "", as_of, last_checked, []
        if link[1] is not None:  # a claim without evidence joins to one row of NULLs
            claim.evidence.append(EvidenceLink(*link))
    for claim in rows:  # a claim deleted meanwhile: its badge shows what was read
        if claim.evidence is None:
            claim.evidence = []


def _get_many(keys):
    """The fragments stored under ``keys``: from this process's copies first, then the shared cache."""
    found = local_fragments.get_many(keys)
    rest = [key for key in keys if key not in found]
    if rest:
        try:
            shared = cache.get_many(rest)
        except Exception:  # a cache that fails is no cache: render everything
            logger.warning("fragment cache unavailable", exc_info=True)
            shared = {}
        local_fragments.put_many(shared)
        found.update(shared)
    return found


def _set_many(fragments):
    if not fragments:
        return
    local_fragments.put_many(fragments)
    try:
        cache.set_many(fragments, FRAGMENT_TIMEOUT)
    except Exception:
        logger.warning("fragment cache unavailable", exc_info=True)


def rating_labels(claims):
    """(stamp, {rating id: label in the active language}) for ``claims``: one small query when one
    of them is rated, none otherwise.

    A rating's label is the desk's data (edited in the admin without a claim changing version), so
    the stamp, a digest of every label, goes into the keys of the stored paragraphs and badges: a
    label edited makes new keys, as a claim's new version does.
    """
    if not any(getattr(claim, "rating_id", None) for claim in claims):
        return "", {}
    rows = list(Rating.objects.order_by("pk").values_list("pk", "label_ja", "label_en"))
    stamp = hashlib.blake2b(repr(rows).encode(), digest_size=6).hexdigest()
    english = get_language() == "en"
    return stamp, {pk: (en if english else ja) for pk, ja, en in rows}


def render_badges(claims, *, article=None, words=None, labels=None):
    """Each claim's badge (with its popover), by claim pk, rendered now.

    The note, dates and evidence of :class:`ShownClaim` rows are read here in one query (by
    ``article`` when the batch is large and all its own); model instances bring theirs.
    ``labels`` is :func:`rating_labels`'s map when the caller has it.
    """
    _read_badge_details(claims, article)
    if labels is None:
        labels = rating_labels(claims)[1]
    for claim in claims:
        claim.rating_text = labels.get(getattr(claim, "rating_id", None), "")
    words = words or badge_words()
    return {
        claim.pk: claim_badge(claim, claim.evidence if isinstance(claim, ShownClaim) else None, words)
        for claim in claims
    }


def claim_badges(claims, *, article=None):
    """Each claim's badge, rendered once per version of the claim and reused (for claims listed
    outside the text; the text's badges are stored with their paragraphs).

    A badge depends on its claim and its evidence, the reader's language and the code. Every write
    through the workflow moves the claim's ``version`` on (a change to its evidence too), so the key
    (code release, language, claim, version) names one rendering for good.
    """
    stamp, labels = rating_labels(claims)
    prefix = f"badge:{code_release()}:{get_language()}:{stamp}"
    keys = {claim.pk: f"{prefix}:{claim.pk}:{claim.version}" for claim in claims}
    stored = _get_many(list(keys.values()))
    missing = [claim for claim in claims if keys[claim.pk] not in stored]
    fresh = render_badges(missing, article=article, labels=labels) if missing else {}
    _set_many({keys[pk]: badge for pk, badge in fresh.items()})
    return {claim.pk: stored.get(keys[claim.pk]) or fresh[claim.pk] for claim in claims}


def glued_claims(article, claims):
    """The claims that sit on a sentence of the body, by the sentence's start offset.

    A claim is glued only when it is anchored, is a claim, and its statement is exactly the
    sentence at its position: a claim whose anchor is stale is never shown on the wrong sentence.
    """
    by_start = {claim.position: claim for claim in claims if claim.is_anchored and claim.is_claim}
    if not by_start:
        return {}
    body = article.body
    glued = {}
    for _block, spans in text.layout(body):
        for start, end in spans:
            claim = by_start.get(start)
            if claim is not None and claim.statement == body[start:end]:
                glued[start] = claim
    return glued


def unplaced_claims(article, claims, glued=None):
    """The public claims that have no sentence in the body: listed apart, never glued."""
    if glued is None:
        glued = glued_claims(article, claims)
    placed = {claim.pk for claim in glued.values()}
    unplaced = [claim for claim in claims if claim.is_claim and claim.pk not in placed]
    return sorted(unplaced, key=lambda claim: (claim.position, claim.pk))


def with_badges(claims):
    """``claims``, each with its ``badge`` (from :func:`claim_badges`), for a template that lists them."""
    badges = claim_badges(claims)
    for claim in claims:
        claim.badge = badges[claim.pk]
    return claims


@functools.lru_cache(maxsize=4096)
def _text_digest(text):
    """A paragraph's text, digested once (the split texts are kept, so the same strings come back)."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _paragraph_key(prefix, block, placed):
    """The key of a paragraph's rendering: its text, and each claim on it (offsets in the paragraph, id, version)."""
    offset = block.start
    signature = ";".join(
        [f"{start - offset}:{end - offset}:{claim.pk}:{claim.version}" for start, end, claim in placed]
    )
    digest = hashlib.blake2b(signature.encode(), digest_size=16, key=_text_digest(block.text)).hexdigest()
    return f"{prefix}:{digest}"


def _paragraph(body, block, placed, badges):
    # A sentence and its badge sit in one span.claimed (static/css/site.css): no line may break
    # between the sentence's last character and the badge, so a badge never starts a line alone
    # (leaving a justified line above it with wide gaps); the sentence itself wraps as before.
    pieces = ["<p>"]
    cursor = block.start
    for start, end, claim in placed:
        pieces.append(escape(body[cursor:start]))
        pieces.append(
            f'<span class="claimed"><span class="claim claim-{escape(str(claim.status))}" id="claim-{claim.pk}">'
            f"{escape(body[start:end])}</span>&#8288;{badges[claim.pk]}</span>"
        )
        cursor = end
    pieces.append(escape(body[cursor : block.end]))
    pieces.append("</p>")
    return "".join(pieces)


def _paragraph_prefix(stamp=""):
    return f"paragraph:{code_release()}:{get_language()}:{stamp}"


def laid_out(article, glued, prefix, reuse=None, changed=()):
    """Each block of the body with the claims placed on it and the key of its rendering (None for a
    heading or a paragraph without claims).

    ``reuse``, the same list for the previous state of the same text, with ``changed`` the start
    offsets where a claim came, went or changed: only the blocks that hold one are worked out again.
    """
    result = []
    for index, (block, spans) in enumerate(text.layout(article.body)):
        if reuse is not None and not any(block.start <= start < block.end for start in changed):
            result.append(reuse[index])
            continue
        placed = [(start, end, glued[start]) for start, end in spans if start in glued]
        result.append((block, placed, _paragraph_key(prefix, block, placed) if placed else None))
    return result


def article_body_html(article, claims, glued=None, blocks=None, ratings=None):
    """The body's headings and paragraphs as UTF-8 HTML, each claimed sentence marked and badged.

    Bytes, because the body is nearly all of the page and the page is sent as bytes: each
    paragraph is encoded once, when it is rendered, and stored that way; a render after an edit
    joins stored bytes instead of joining, copying and encoding 1.5 MB of text (1,000 claims).
    ``claims`` are the article's public claims (model instances or :class:`ShownClaim` rows);
    ``glued``, when the caller has it, is ``glued_claims(article, claims)``, and ``blocks`` is
    :func:`laid_out` for them in the active language (:meth:`PagePlan.blocks`), and ``ratings``
    :func:`rating_labels` of the claims, with whose stamp ``blocks`` were keyed.
    """
    if glued is None:
        glued = glued_claims(article, claims)
    body = article.body
    stamp, labels = ratings if ratings is not None else rating_labels(claims)
    if blocks is None:
        blocks = laid_out(article, glued, _paragraph_prefix(stamp))
    stored = _get_many([key for _block, _placed, key in blocks if key])
    missing = [(block, placed, key) for block, placed, key in blocks if key and key not in stored]
    fresh = {}
    if missing:
        # Only the badges of the paragraphs rendered now: one query for their details, none when
        # every paragraph is stored.
        badges = render_badges(
            [claim for _b, placed, _k in missing for _s, _e, claim in placed], article=article, labels=labels
        )
        for block, placed, key in missing:
            fresh[key] = _paragraph(body, block, placed, badges).encode()
        _set_many(fresh)
    parts = []
    section = 0
    for block, _placed, key in blocks:
        if block.kind == "heading":
            section += 1
            parts.append(f'<h2 id="section-{section}">{escape(block.text)}</h2>'.encode())
        elif key is None:
            parts.append(f"<p>{escape(body[block.start : block.end])}</p>".encode())
        else:
            parts.append(stored.get(key) or fresh[key])
    return b"\n".join(parts)


def render_article_body(article, claims, glued=None):
    """:func:`article_body_html` as safe text, for a template or a test."""
    return mark_safe(article_body_html(article, claims, glued).decode())  # every piece is escaped or built here


class PagePlan:
    """An article's public claims as its page places them, kept in this process between renders.

    The page needs every claim's position, statement, status and version to place it and to key
    its paragraph; reading and matching 1,000 of them is most of a render once the paragraphs are
    stored. A plan is made for one text and brought up to date by the claims' versions alone
    (:func:`page_plan`): every write through the workflow moves the version of each claim it
    changes (the same promise the stored paragraphs and badges are keyed by), a claim that is gone
    or no longer public drops out of the versions, a new one comes in, and a new text makes a new
    plan. So the rows of changed claims are the only ones read again, with what their badges show.
    """

    def __init__(self, article, claims, glued):
        self.body = article.body
        self.claims = claims  # pk -> ShownClaim
        self.glued = glued  # start offset -> ShownClaim
        self._blocks = {}  # paragraph-key prefix (release, language) -> laid_out(...)

    def blocks(self, article, stamp=""):
        prefix = _paragraph_prefix(stamp)
        if prefix not in self._blocks:
            self._blocks[prefix] = laid_out(article, self.glued, prefix)
        return self._blocks[prefix]

    def updated(self, article, fresh, gone):
        """The plan with ``fresh`` rows (pk -> ShownClaim, new or changed) in and the ``gone`` pks out."""
        claims = {pk: claim for pk, claim in self.claims.items() if pk not in gone}
        before = [self.claims[pk] for pk in [*gone, *fresh] if pk in self.claims]
        claims.update(fresh)
        glued = {start: claim for start, claim in self.glued.items() if claim.pk not in gone and claim.pk not in fresh}
        glued.update(glued_claims(article, fresh.values()))
        plan = PagePlan(article, claims, glued)
        # Where a claim was or is now: only the blocks there are worked out again.
        changed = {claim.position for claim in before} | {claim.position for claim in fresh.values()}
        plan._blocks = {
            prefix: laid_out(article, glued, prefix, reuse=blocks, changed=changed)
            for prefix, blocks in self._blocks.items()
        }
        return plan


# The plans of the articles rendered last in this process (caching.pages keeps pages the same way).
local_plans = LocalPages(64)
SHOWN_WITH_DETAILS = (*ShownClaim.FIELDS, "verdict_note", "as_of", "last_checked", *EVIDENCE_FIELDS)


def _rows_with_details(article, pks):
    """The rows of ``pks`` (public claims of ``article``) with what their badges show, in one query."""
    rows = {}
    query = article.claims.filter(is_claim=True, pk__in=pks).order_by("pk", "evidence__pk")
    for *fields, note, as_of, last_checked, stance, url, title, publisher in query.values_list(*SHOWN_WITH_DETAILS):
        claim = rows.get(fields[0])
        if claim is None:
            claim = rows[fields[0]] = ShownClaim(
                *fields, verdict_note=note or "", as_of=as_of, last_checked=last_checked
            )
            claim.evidence = []
        if url is not None:  # a claim without evidence joins to one row of NULLs
            claim.evidence.append(EvidenceLink(stance, url, title, publisher))
    return rows


def page_plan(article):
    """The :class:`PagePlan` of a published article (None for a draft: readers see no claims of it).

    The first render in a process (or of a new text) reads every public claim's row; a later one
    reads only the claims' versions, and the rows of the claims whose version moved.
    """
    if not article.is_published:
        return None
    plan = local_plans.get(article.pk)
    if plan is None or plan.body != article.body:
        claims = {claim.pk: claim for claim in shown_claims(article)}
        plan = PagePlan(article, claims, glued_claims(article, claims.values()))
    else:
        versions = dict(article.claims.filter(is_claim=True).order_by().values_list("pk", "version"))
        moved = [pk for pk, version in versions.items() if pk not in plan.claims or plan.claims[pk].version != version]
        gone = [pk for pk in plan.claims if pk not in versions]
        if moved or gone:
            fresh = _rows_with_details(article, moved) if moved else {}
            gone += [pk for pk in moved if pk not in fresh]  # changed and then gone meanwhile
            plan = plan.updated(article, fresh, gone)
    local_plans.put(article.pk, plan)
    return plan


def rating_summary(claims, labels):
    """How many of the claims carry each rating, most first: [(label, count)] (``labels`` from
    :func:`rating_labels`)."""
    counts = Counter(labels.get(claim.rating_id) for claim in claims if claim.is_claim and claim.rating_id)
    return [(label, count) for label, count in counts.most_common() if label]


def status_summary(claims):
    """Counts of the public claims by status, in the order of the legend, with their share of the bar."""
    counts = Counter(claim.status for claim in claims if claim.is_claim)
    total = sum(counts.values())
    rows = []
    offset = 0.0
    for status in Claim.Status.LEGEND_ORDER:
        count = counts.get(status, 0)
        share = 100 * count / total if total else 0
        rows.append({"status": status, "label": status.label, "count": count, "x": offset, "width": share})
        offset += share
    return {"total": total, "rows": rows}
