"""Where each claim sits in its article's text: finding a statement's sentence and re-anchoring
claims after the text changed. Pure decisions: the writes go through ``workflow.claims_apply``.
"""

import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from claims import text

FUZZY_THRESHOLD = 0.6


def not_a_sentence_message(article):
    return _("This statement is not a sentence of “%(article)s”. Copy it exactly from the article text.") % {
        "article": article.title
    }


def already_claimed_message(pk):
    return _("This statement already has a claim (#%(pk)s).") % {"pk": pk}


def claim_anchor_fields(body, sentence):
    """The anchor of a claim on ``sentence``: a W3C TextQuoteSelector (quote, prefix, suffix) and its place."""
    prefix, suffix = text.context(body, sentence.start, sentence.end)
    return {
        "statement": sentence.text,
        "prefix": prefix,
        "suffix": suffix,
        "position": sentence.start,
        "section": sentence.section,
        "is_anchored": True,
    }


def claim_locate(*, article, statement, exclude_pk=None):
    """The sentence of the article that a new or edited claim states, or why there is none."""
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError(_("The statement is empty."), code="empty")
    matches = [s for s in text.sentences(article.body) if s.text == statement]
    if not matches:
        raise ValidationError(not_a_sentence_message(article), code="not_found")
    claimed = dict(article.claims.filter(is_anchored=True).exclude(pk=exclude_pk).values_list("position", "pk"))
    free = [s for s in matches if s.start not in claimed]
    if not free:
        raise ValidationError(already_claimed_message(claimed[matches[0].start]), code="duplicate")
    return free[0]


def same_wording(a, b):
    """True when two statements differ only in character width or spacing (NFKC, no white space)."""

    def fold(value):
        return "".join(unicodedata.normalize("NFKC", value).split())

    return fold(a) == fold(b)


@dataclass
class Placement:
    """Where re-anchoring puts one claim: ``sentence`` None means it fits nowhere (unanchored)."""

    claim: object
    sentence: object
    how: str  # "exact", "context", "fuzzy" or "none"

    @property
    def reworded(self):
        return self.how == "fuzzy" and not same_wording(self.claim.statement, self.sentence.text)


@dataclass
class ReanchorPlan:
    placements: list = field(default_factory=list)

    def _count(self, how):
        return sum(1 for p in self.placements if p.how == how)

    @property
    def exact(self):
        return self._count("exact")

    @property
    def context(self):
        return self._count("context")

    @property
    def fuzzy(self):
        return self._count("fuzzy")

    @property
    def unanchored(self):
        return [p.claim for p in self.placements if p.sentence is None]


def _context_score(claim, body, sentence):
    prefix, suffix = text.context(body, sentence.start, sentence.end)
    score = 0
    if claim.prefix and prefix.endswith(claim.prefix[-12:]):
        score += 1
    if claim.suffix and suffix.startswith(claim.suffix[:12]):
        score += 1
    return score


def plan_reanchor(*, body, claims):
    """Place every claim on a sentence of ``body`` after the text changed.

    Exact quote first (the prefix and suffix decide between repeats, then the old position), then
    a fuzzy match of the quote among the sentences left; a claim that fits nowhere becomes
    unanchored and keeps its text. No claim is dropped or glued to another claim's sentence.
    """
    sentences = text.sentences(body)
    claims = sorted(claims, key=lambda c: (c.position, c.pk))
    free = {s.start: s for s in sentences}
    placed = {}
    by_text = {}
    for sentence in sentences:
        by_text.setdefault(sentence.text, []).append(sentence)
    for claim in claims:
        candidates = [s for s in by_text.get(claim.statement.strip(), []) if s.start in free]
        if not candidates:
            continue
        best = max(candidates, key=lambda s: (_context_score(claim, body, s), -abs(s.start - claim.position)))
        how = "context" if len(candidates) > 1 and _context_score(claim, body, best) > 0 else "exact"
        placed[claim.pk] = (free.pop(best.start), how)
    for claim in claims:
        if claim.pk in placed or not free:
            continue
        scored = [
            (
                text.similarity(claim.statement, s.text) + 0.05 * _context_score(claim, body, s),
                -abs(s.start - claim.position),
                s,
            )
            for s in free.values()
        ]
        score, _distance, best = max(scored, key=lambda item: item[:2])
        if score >= FUZZY_THRESHOLD:
            placed[claim.pk] = (free.pop(best.start), "fuzzy")
    plan = ReanchorPlan()
    for claim in claims:
        sentence, how = placed.get(claim.pk, (None, "none"))
        plan.placements.append(Placement(claim=claim, sentence=sentence, how=how))
    return plan
