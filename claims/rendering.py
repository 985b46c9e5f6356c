"""The article body as readers see it: headings, paragraphs, and a badge after each claimed sentence.

Everything here is built with ``format_html`` and ``conditional_escape``: the body, the claims and
their notes are editors' text and are always escaped. The result depends only on the article, its
public claims and the active language, so it can be cached per (article, language).
"""

import logging
from collections import Counter

from django.core.cache import cache
from django.db.models import prefetch_related_objects
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.translation import get_language

from . import text
from .caching.pages import code_release
from .models import Claim
from .templatetags.claims_tags import claim_badge

logger = logging.getLogger(__name__)
BADGE_TIMEOUT = 60 * 60 * 24 * 7  # a key names one version of a badge for good; this only bounds unused ones


def claim_badges(claims):
    """Each claim's badge (with its popover), rendered once per version of the claim and reused.

    A badge depends on its claim and its evidence, the reader's language and the code. Every write
    through the workflow moves the claim's ``version`` on (a change to its evidence too), so the key
    (code release, language, claim, version) names one rendering for good: after an edit only the
    edited claim's badge is rendered again, the others come from the cache in one round trip.
    """
    prefix = f"badge:{code_release()}:{get_language()}"
    keys = {claim.pk: f"{prefix}:{claim.pk}:{claim.version}" for claim in claims}
    try:
        stored = cache.get_many(list(keys.values()))
    except Exception:  # a cache that fails is no cache: render every badge
        logger.warning("badge cache unavailable", exc_info=True)
        stored = {}
    missing = [claim for claim in claims if keys[claim.pk] not in stored]
    # Only a badge rendered now needs its evidence: one query for all of them, none when all are stored.
    prefetch_related_objects(missing, "evidence")
    badges, fresh = {}, {}
    for claim in claims:
        badge = stored.get(keys[claim.pk])
        if badge is None:
            badge = fresh[keys[claim.pk]] = claim_badge(claim)
        badges[claim.pk] = badge
    if fresh:
        try:
            cache.set_many(fresh, BADGE_TIMEOUT)
        except Exception:
            logger.warning("badge cache unavailable", exc_info=True)
    return badges


def glued_claims(article, claims):
    """The claims that sit on a sentence of the body, by the sentence's start offset.

    A claim is glued only when it is anchored, is a claim, and its statement is exactly the
    sentence at its position: a claim whose anchor is stale is never shown on the wrong sentence.
    """
    by_start = {claim.position: claim for claim in claims if claim.is_anchored and claim.is_claim}
    glued = {}
    for sentence in text.sentences(article.body):
        claim = by_start.get(sentence.start)
        if claim is not None and claim.statement == sentence.text:
            glued[sentence.start] = claim
    return glued


def unplaced_claims(article, claims):
    """The public claims that have no sentence in the body: listed apart, never glued."""
    glued = {claim.pk for claim in glued_claims(article, claims).values()}
    return [claim for claim in claims if claim.is_claim and claim.pk not in glued]


def with_badges(claims):
    """``claims``, each with its ``badge`` (from :func:`claim_badges`), for a template that lists them."""
    badges = claim_badges(claims)
    for claim in claims:
        claim.badge = badges[claim.pk]
    return claims


def render_article_body(article, claims):
    """The body's headings and paragraphs as HTML, each claimed sentence marked and badged."""
    glued = glued_claims(article, claims)
    badges = claim_badges(list(glued.values()))
    body = article.body
    parts = []
    section = 0
    for block in text.parse_blocks(body):
        if block.kind == "heading":
            section += 1
            parts.append(format_html('<h2 id="section-{}">{}</h2>', section, block.text))
            continue
        pieces = []
        cursor = block.start
        for start, end in text.split_sentences(block.text, block.start):
            claim = glued.get(start)
            if claim is None:
                continue
            pieces.append(conditional_escape(body[cursor:start]))
            pieces.append(
                format_html(
                    '<span class="claim claim-{}" id="{}">{}</span>{}',
                    claim.status,
                    claim.anchor_id,
                    body[start:end],
                    badges[claim.pk],
                )
            )
            cursor = end
        pieces.append(conditional_escape(body[cursor : block.end]))
        parts.append(format_html("<p>{}</p>", format_html_join("", "{}", ((piece,) for piece in pieces))))
    return format_html_join("\n", "{}", ((part,) for part in parts))


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
