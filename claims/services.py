"""Every write that has a rule. The admin, the bulk actions, the importer and the commands call these."""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import text
from .freshness import content_changed
from .models import Article, Claim, Evidence, StatusChange

Status = Claim.Status
Stance = Evidence.Stance
FUZZY_THRESHOLD = 0.6


CONCURRENT_EDIT_MESSAGE = gettext_lazy(
    "Another editor saved this claim after you opened it. Nothing of yours was saved: "
    "reload the page to see their changes, then make yours again."
)


class ConcurrentEditError(ValidationError):
    """Someone else saved the claim after this editor loaded it."""


# ---------------------------------------------------------------------------------------------
# The workflow rules


def status_rule_errors(*, status, verdict_note, as_of, stances):
    """Why a claim with these values may not have this status ([] when it may).

    ``stances`` is the stance of each of the claim's evidence links.
    """
    errors = []
    if status not in Status.values:
        errors.append(_("Unknown status “%(status)s”.") % {"status": status})
    elif status == Status.VERIFIED and Stance.SUPPORTS not in stances:
        errors.append(_("Verified needs at least one evidence link that supports the statement."))
    elif status == Status.DISPUTED and Stance.REFUTES not in stances and not (verdict_note or "").strip():
        errors.append(_("Disputed needs an evidence link that refutes the statement, or a verdict note."))
    elif status == Status.OUTDATED:
        if not as_of:
            errors.append(_("Outdated needs an “as of” date: when the statement was true."))
        if not (verdict_note or "").strip():
            errors.append(_("Outdated needs a verdict note that says what has changed."))
    return errors


def claim_check_rules(*, claim, status, stances=None):
    if stances is None:
        stances = list(claim.evidence.values_list("stance", flat=True)) if claim.pk else []
    errors = status_rule_errors(status=status, verdict_note=claim.verdict_note, as_of=claim.as_of, stances=stances)
    if errors:
        raise ValidationError(errors, code="status_rule")


@transaction.atomic
def claim_change_status(*, claim, to, note="", user=None, via, today=None):
    """Move a claim to another status, writing exactly one history row. False when nothing changed."""
    current = Claim.objects.select_for_update().filter(pk=claim.pk).values_list("status", flat=True).get()
    if to == current:
        return False
    claim_check_rules(claim=claim, status=to)
    claim.status = to
    if to != Status.PENDING:
        claim.last_checked = today or timezone.localdate()
    Claim.objects.filter(pk=claim.pk).update(
        status=to, last_checked=claim.last_checked, version=F("version") + 1, updated_at=timezone.now()
    )
    claim.version += 1
    StatusChange.objects.create(
        claim=claim, from_status=current, to_status=to, note=note, user=user if user and user.pk else None, via=via
    )
    return True


def claim_bump_version(*, claim, expected_version):
    """Record a save of the claim, refusing it when someone else saved since ``expected_version``."""
    updated = Claim.objects.filter(pk=claim.pk, version=expected_version).update(version=F("version") + 1)
    if not updated:
        raise ConcurrentEditError(CONCURRENT_EDIT_MESSAGE, code="concurrent_edit")
    claim.version = expected_version + 1


@transaction.atomic
def claim_set_is_claim(*, claim, is_claim):
    """Mark a statement as not a claim (opinion, rhetoric), or as a claim again."""
    claim.is_claim = is_claim
    claim.save(update_fields=["is_claim", "updated_at"])


# ---------------------------------------------------------------------------------------------
# Statements and anchors


def claim_anchor_fields(body, sentence):
    prefix, suffix = text.context(body, sentence.start, sentence.end)
    return {
        "statement": sentence.text,
        "prefix": prefix,
        "suffix": suffix,
        "position": sentence.start,
        "section": sentence.section,
        "is_anchored": True,
    }


@transaction.atomic
def article_create_claims(*, article):
    """A pending claim for every statement that has none. Returns the new claims."""
    body = article.body
    taken = set(article.claims.filter(is_anchored=True).values_list("position", flat=True))
    new = [
        Claim(article=article, **claim_anchor_fields(body, sentence))
        for sentence in text.sentences(body)
        if sentence.start not in taken
    ]
    created = Claim.objects.bulk_create(new)
    if created:
        content_changed()
    return created


def claim_locate(*, article, statement, exclude_pk=None):
    """The sentence of the article that a new or edited claim states, or why there is none."""
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError(_("The statement is empty."), code="empty")
    matches = [s for s in text.sentences(article.body) if s.text == statement]
    if not matches:
        raise ValidationError(
            _("This statement is not a sentence of “%(article)s”. Copy it exactly from the article text.")
            % {"article": article.title},
            code="not_found",
        )
    claimed = dict(article.claims.filter(is_anchored=True).exclude(pk=exclude_pk).values_list("position", "pk"))
    free = [s for s in matches if s.start not in claimed]
    if not free:
        raise ValidationError(
            _("This statement already has a claim (#%(pk)s).") % {"pk": claimed[matches[0].start]}, code="duplicate"
        )
    return free[0]


@dataclass
class ReanchorReport:
    exact: int = 0
    context: int = 0
    fuzzy: int = 0
    unanchored: list = field(default_factory=list)


def _context_score(claim, body, sentence):
    prefix, suffix = text.context(body, sentence.start, sentence.end)
    score = 0
    if claim.prefix and prefix.endswith(claim.prefix[-12:]):
        score += 1
    if claim.suffix and suffix.startswith(claim.suffix[:12]):
        score += 1
    return score


@transaction.atomic
def article_reanchor(*, article):
    """Place every claim of the article on its statement after the text changed.

    Exact quote first (the prefix and suffix decide between repeats, then the old position), then
    a fuzzy match of the quote among the sentences left; a claim that fits nowhere becomes
    unanchored and keeps its text. No claim is dropped or glued to another claim's sentence.
    """
    body = article.body
    sentences = text.sentences(body)
    claims = list(article.claims.order_by("position", "pk"))
    report = ReanchorReport()
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
        if len(candidates) > 1 and _context_score(claim, body, best) > 0:
            report.context += 1
        else:
            report.exact += 1
        placed[claim.pk] = free.pop(best.start)

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
            placed[claim.pk] = free.pop(best.start)
            report.fuzzy += 1

    # Drop every anchor first so that moving claims never collide on the unique (article, position).
    article.claims.update(is_anchored=False)
    for claim in claims:
        sentence = placed.get(claim.pk)
        if sentence is None:
            claim.is_anchored = False
            claim.save(update_fields=["is_anchored"])
            report.unanchored.append(claim)
            continue
        for name, value in claim_anchor_fields(body, sentence).items():
            setattr(claim, name, value)
        claim.save(update_fields=["statement", "prefix", "suffix", "position", "section", "is_anchored"])
    return report


@transaction.atomic
def article_update(*, article, **fields):
    """Save an article; when its text changed, re-anchor its claims. Returns the re-anchor report."""
    old_body = Article.objects.filter(pk=article.pk).values_list("body", flat=True).first() if article.pk else None
    for name, value in fields.items():
        setattr(article, name, value)
    article.body = text.normalize_body(article.body)
    article.full_clean()
    article.save()
    if old_body is not None and old_body != article.body:
        return article_reanchor(article=article)
    return None


@dataclass
class Coverage:
    statements: int
    by_status: dict
    not_claims: int
    undecided: int
    unanchored: int

    @property
    def decided(self):
        return self.statements - self.undecided


def article_coverage(article):
    """How much of the article the desk has decided: the numbers on the article's admin page."""
    sentences = text.sentences(article.body)
    rows = list(article.claims.values_list("position", "is_anchored", "is_claim", "status"))
    anchored = {pos: (is_claim, status) for pos, is_anchored, is_claim, status in rows if is_anchored}
    by_status = Counter(status for _pos, _anch, is_claim, status in rows if is_claim)
    undecided = 0
    for sentence in sentences:
        decision = anchored.get(sentence.start)
        if decision is None or (decision[0] and decision[1] == Status.PENDING):
            undecided += 1
    return Coverage(
        statements=len(sentences),
        by_status={status: by_status.get(status, 0) for status in Status.values},
        not_claims=sum(1 for _pos, _anch, is_claim, _st in rows if not is_claim),
        undecided=undecided,
        unanchored=sum(1 for _pos, is_anchored, _c, _st in rows if not is_anchored),
    )


# ---------------------------------------------------------------------------------------------
# Loading an article from a file


def parse_article_file(path):
    """Read an article file: ``---`` front matter (title, slug, lead) then the body."""
    raw = text.normalize_body(Path(path).read_text(encoding="utf-8"))
    if not raw.startswith("---\n"):
        raise ValidationError(_("%(path)s does not start with a “---” front matter block.") % {"path": path})
    front, _sep, body = raw[4:].partition("\n---\n")
    meta = {}
    for line in front.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip()] = value.strip()
    missing = [key for key in ("title", "slug") if not meta.get(key)]
    if missing:
        raise ValidationError(
            _("%(path)s lacks %(keys)s in its front matter.") % {"path": path, "keys": ", ".join(missing)}
        )
    return meta, body.strip() + "\n"


@transaction.atomic
def article_load_file(*, path, publish=True):
    """Create or update the article in ``path``; safe to run again. Returns (article, created)."""
    meta, body = parse_article_file(path)
    article = Article.objects.filter(slug=meta["slug"]).first()
    created = article is None
    if created:
        article = Article(slug=meta["slug"], published_at=timezone.now() if publish else None, is_published=publish)
    article_update(
        article=article, title=meta["title"], lead=meta.get("lead", ""), body=body, language=meta.get("language", "ja")
    )
    return article, created
