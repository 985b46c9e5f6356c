"""Articles: saving their text (and what that does to their claims), loading one from a file, coverage."""

import datetime
import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims import text
from claims.caching.revision import Touched, content_changed
from claims.models import Article, ArticleCorrection, Claim, Proposal, StatusChange

from .anchoring import plan_reanchor
from .workflow import UNANCHORED, ClaimChange, claims_apply

Status = Claim.Status


@dataclass
class ArticleEditReport:
    """What one save of an article's text did to its claims."""

    moved: list = field(default_factory=list)
    reworded: list = field(default_factory=list)
    unanchored: list = field(default_factory=list)  # newly unanchored by this save
    plan: object = None  # the ReanchorPlan: how every claim was placed

    def __bool__(self):
        return bool(self.moved or self.reworded or self.unanchored)


def reworded_note(old, new):
    return _("The article’s wording changed, so the claim goes back to review. Before: “%(old)s” After: “%(new)s”") % {
        "old": old,
        "new": new,
    }


def _reanchor_changes(article, report):
    """The changes that put the article's claims on its text as it is now; fills ``report``."""
    changes = []
    report.plan = plan_reanchor(body=article.body, claims=list(article.claims.select_related("article")))
    for placement in report.plan.placements:
        claim, sentence = placement.claim, placement.sentence
        if sentence is None:
            if claim.is_anchored:
                changes.append(ClaimChange(claim=claim, sentence=UNANCHORED))
                report.unanchored.append(claim)
            continue
        same_place = claim.is_anchored and claim.position == sentence.start and claim.statement == sentence.text
        if placement.reworded:
            values = {}
            note = reworded_note(claim.statement, sentence.text)
            if claim.is_claim and claim.status != Status.PENDING:
                values["status"] = Status.PENDING
                values["rating"] = None
            changes.append(ClaimChange(claim=claim, sentence=sentence, values=values, note=note))
            report.reworded.append(claim)
        elif not same_place or (claim.prefix, claim.suffix) != text.context(article.body, sentence.start, sentence.end):
            changes.append(ClaimChange(claim=claim, sentence=sentence))
            # Re-anchored: found by a close match (a change of width or spacing), or back in the
            # text; a claim that only shifted with the text before it needs no editor.
            if placement.how == "fuzzy" or not claim.is_anchored:
                report.moved.append(claim)
    return changes


def correction_note_required_message():
    return _(
        "This article is published: say in a short public correction note what you corrected and why. "
        "It is listed on the corrections page with the sentences before and after."
    )


def same_text(a, b):
    """Two bodies that read the same (line endings, invisible characters, surrounding blank lines aside)."""
    return text.normalize_body(a or "").strip() == text.normalize_body(b or "").strip()


def sentence_changes(old_body, new_body):
    """The sentences a text edit changed, as [{"before": …, "after": …}] (not the whole body)."""
    old = [s.text for s in text.sentences(old_body)]
    new = [s.text for s in text.sentences(new_body)]
    changes = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changes.append({"before": "".join(old[i1:i2]), "after": "".join(new[j1:j2])})
    return changes


# A person's edit of a published article's text (in the admin, or by restoring a version) is a
# correction readers are told about; a load from the shipped file or a command is not.
CORRECTED_BY = {StatusChange.Via.ADMIN, StatusChange.Via.ARTICLE, StatusChange.Via.RESTORE}


@transaction.atomic
def article_update(*, article, user=None, via=StatusChange.Via.ARTICLE, correction_note=None, **fields):
    """Save an article; when its text changed, re-anchor its claims through the write path.

    A claim whose sentence was reworded (a fuzzy match that is more than a change of width or
    spacing) goes back to review with one history row showing the old and new wording. A person's
    (``user``) edit of a published article's text needs a public ``correction_note``; it is kept
    with the sentences before and after as an ArticleCorrection. Returns the ArticleEditReport (empty when
    the text did not change).
    """
    stored = (
        Article.objects.filter(pk=article.pk).values("body", "is_published", "slug").first() if article.pk else None
    )
    old_body = stored["body"] if stored else None
    for name, value in fields.items():
        setattr(article, name, value)
    article.body = text.normalize_body(article.body)
    article.full_clean()
    correcting = (
        stored is not None
        and stored["is_published"]
        and not same_text(old_body, article.body)
        and via in CORRECTED_BY
        and user is not None
        and getattr(user, "pk", None) is not None
    )
    note = (correction_note or "").strip()
    if correcting and not note:
        raise ValidationError({"correction_note": correction_note_required_message()}, code="correction_note")
    if correcting:
        article.corrected_at = timezone.now()
    article.save()
    if correcting:
        correction = ArticleCorrection(article=article, note=note, changes=sentence_changes(old_body, article.body))
        correction.user = user if user is not None and getattr(user, "pk", None) else None
        correction.full_clean(exclude=["article", "user"])
        correction.save()
    report = ArticleEditReport()
    if old_body is not None and old_body != article.body:
        changes = _reanchor_changes(article, report)
        if changes:
            claims_apply(changes=changes, user=user, via=via, notify=False)
    # Its page (under its old address too), every claim page that quotes it, the lists.
    content_changed(
        Touched(
            articles={article},
            article_slugs={stored["slug"]} if stored else set(),
            claims=set(article.claims.values_list("pk", flat=True)),
        )
    )
    return report


@transaction.atomic
def article_reanchor(*, article, user=None, via=StatusChange.Via.COMMAND):
    """Re-place the article's claims on its text (check_anchors); returns the ArticleEditReport."""
    report = ArticleEditReport()
    changes = _reanchor_changes(article, report)
    if changes:
        claims_apply(changes=changes, user=user, via=via)
    return report


@transaction.atomic
def article_create_claims(*, article, user=None, via=StatusChange.Via.COMMAND):
    """A pending claim for every statement that has none. Returns the new claims."""
    taken = set(article.claims.filter(is_anchored=True).values_list("position", flat=True))
    changes = [
        ClaimChange(article=article, sentence=sentence)
        for sentence in text.sentences(article.body)
        if sentence.start not in taken
    ]
    if not changes:
        return []
    result = claims_apply(changes=changes, user=user, via=via)
    return [outcome.claim for outcome in result.outcomes]


def claims_set_is_claim(*, claims, is_claim, user=None, via=StatusChange.Via.BULK):
    """Mark statements as not a claim (opinion, rhetoric), or as claims again (with sign-off on, a
    proposal: it decides whether readers see the claim at all). Returns the ApplyResult."""
    changes = [ClaimChange(claim=claim, values={"is_claim": is_claim}) for claim in claims]
    return claims_apply(changes=changes, user=user, via=via)


@dataclass
class Coverage:
    statements: int
    by_status: dict
    not_claims: int
    undecided: int
    unanchored: int
    awaiting_sign_off: int = 0
    unrated: int = 0  # decided claims without a rating yet

    @property
    def decided(self):
        return self.statements - self.undecided


def article_coverage(article):
    """How much of the article the desk has decided: the numbers on the article's admin page."""
    sentences = text.sentences(article.body)
    rows = list(article.claims.values_list("position", "is_anchored", "is_claim", "status", "rating_id"))
    anchored = {pos: (is_claim, status) for pos, is_anchored, is_claim, status, _rating in rows if is_anchored}
    by_status = Counter(status for _pos, _anch, is_claim, status, _rating in rows if is_claim)
    undecided = 0
    for sentence in sentences:
        decision = anchored.get(sentence.start)
        if decision is None or (decision[0] and decision[1] == Status.PENDING):
            undecided += 1
    return Coverage(
        statements=len(sentences),
        by_status={status: by_status.get(status, 0) for status in Status.values},
        not_claims=sum(1 for _pos, _anch, is_claim, _st, _rating in rows if not is_claim),
        undecided=undecided,
        unanchored=sum(1 for _pos, is_anchored, _c, _st, _rating in rows if not is_anchored),
        awaiting_sign_off=Proposal.objects.open().filter(claim__article=article).count(),
        unrated=sum(1 for _p, _a, is_claim, st, rating in rows if is_claim and st != Status.PENDING and rating is None),
    )


def published_date(value, path):
    """The front matter's ``published``: ``YYYY-MM-DD``, or ``YYYY-MM`` for an essay known by its
    month (the first of the month stands for it), as midnight in the site's time zone."""
    try:
        day = datetime.date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        raise ValidationError(
            _("%(path)s: “published” is a date, YYYY-MM-DD or YYYY-MM, not “%(value)s”.")
            % {"path": path, "value": value}
        ) from None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def parse_article_file(path):
    """Read an article file: ``---`` front matter (title, slug, lead, optionally published and
    language) then the body."""
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
def article_load_file(*, path, publish=True, user=None):
    """Create the article in ``path``, or update it from the file. Returns (article, created, report)."""
    meta, body = parse_article_file(path)
    article = Article.objects.filter(slug=meta["slug"]).first()
    created = article is None
    fields = {}
    if meta.get("published"):
        # The essay's own date, not the day it was loaded.
        fields["published_at"] = published_date(meta["published"], path)
    if created:
        article = Article(slug=meta["slug"], published_at=timezone.now() if publish else None, is_published=publish)
    report = article_update(
        article=article,
        user=user,
        via=StatusChange.Via.COMMAND,
        title=meta["title"],
        lead=meta.get("lead", ""),
        body=body,
        language=meta.get("language", "ja"),
        written=meta.get("written", ""),
        **fields,
    )
    return article, created, report
