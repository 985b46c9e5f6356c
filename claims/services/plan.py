"""A change as it will be stored: what a change is, what it did, and the plan that works each one out.

:class:`_Plan` reads the stored claims (locked for a write), applies each :class:`ClaimChange` to a
copy, says what changed and checks the rules (:mod:`claims.services.rules`) on exactly the values
that will be stored. It writes nothing: :mod:`claims.services.write` does, from its outcomes.
"""

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from taggit.models import TaggedItem

from claims.models import EVIDENCE_FIELDS, Article, Claim, Evidence, Rating, StatusChange

from .anchoring import claim_anchor_fields
from .rules import new_verdict_note_errors, not_a_claim_message, rating_rule_errors, status_rule_errors

Status = Claim.Status
Stance = Evidence.Stance
Via = StatusChange.Via
NEW, UPDATED, PROPOSED, UNCHANGED = "new", "updated", "proposed", "unchanged"
# What a change may set directly; the anchor comes from a sentence, the version from the service.
VALUE_FIELDS = [
    "is_claim",
    "status",
    "rating",
    "verdict_note",
    "internal_note",
    "as_of",
    "recheck_after",
    "last_checked",
]
ANCHOR_FIELDS = ["statement", "prefix", "suffix", "position", "section", "is_anchored"]
STORED_FIELDS = ["article", *ANCHOR_FIELDS, *VALUE_FIELDS]
WRITE_BATCH = 1000
QUERY_CHUNK = 5000  # ids per ``__in`` query: SQLite allows at most 32,766 query parameters
UNANCHORED = "unanchored"  # ClaimChange.sentence for a claim whose sentence is gone
# What readers see of a claim: with sign-off on, a change to these (and to its evidence, and deleting
# or recovering it) waits for a second person. Whether a statement is a claim decides whether it is
# public at all.
PUBLIC_FIELDS = ["is_claim", "status", "rating", "verdict_note", "as_of"]
# What a reviewer signs off: when one of these (or the evidence) changes, open proposals go stale.
# A position shift from an edit elsewhere in the article is not among them.
VERDICT_FIELDS = ["article", "statement", "is_anchored", *PUBLIC_FIELDS]
SIGNED_OFF_PATHS = {Via.ADMIN, Via.BULK, Via.IMPORT, Via.RESTORE}  # never the initial load (Via.LOAD)


@dataclass(frozen=True)
class Detached:
    """ClaimChange.sentence for a recovered claim that has no free sentence: kept, unanchored."""

    statement: str
    position: int = 0
    section: str = ""
    prefix: str = ""
    suffix: str = ""


CONCURRENT_EDIT_MESSAGE = gettext_lazy(
    "Another editor saved this claim after you opened it. Nothing of yours was saved: "
    "reload the page to see their changes, then make yours again."
)


class ChangeRefused(ValidationError):
    """At least one change breaks a rule; nothing was written. ``problems`` names each one."""

    def __init__(self, problems):
        super().__init__([problem.message for problem in problems], code="refused")
        self.problems = problems


class ConcurrentEditError(ChangeRefused):
    """Someone else saved a claim after its change was prepared; nothing was written."""


# ---------------------------------------------------------------------------------------------
# Changes and their outcomes


@dataclass(eq=False)
class ClaimChange:
    """What an entry point wants of one claim. What it leaves out stays as stored.

    ``claim`` is the stored claim (None for a new one, whose ``article`` and ``sentence`` are
    then required); ``sentence`` is a ``text.Sentence`` of the article (or ``UNANCHORED``);
    ``values`` sets fields of ``VALUE_FIELDS``; ``tags`` and ``evidence`` are the claim's whole
    set after the change (evidence as dicts of ``EVIDENCE_FIELDS``, with ``pk`` for a kept link);
    ``expected_version`` refuses the change when someone saved the claim since; ``ref`` says where
    the change came from (a CSV row number) for the problems it raises.
    """

    claim: Claim | None = None
    article: Article | None = None
    sentence: object = None
    values: dict = field(default_factory=dict)
    tags: list | None = None
    evidence: list | None = None
    expected_version: int | None = None
    note: str = ""
    pk: int | None = None
    ref: object = None
    history: list | None = None  # a recovered claim's own status history, put back instead of a new row


@dataclass
class Problem:
    change: ClaimChange
    field: str
    message: str
    code: str = "rule"

    def __str__(self):
        return self.message


@dataclass
class Outcome:
    change: ClaimChange
    action: str
    claim: Claim
    changed: list = field(default_factory=list)
    from_status: str = Status.PENDING
    stored: Claim | None = None
    links_before: list = field(default_factory=list)
    links_after: list = field(default_factory=list)
    tags_before: list = field(default_factory=list)
    tags_after: list = field(default_factory=list)
    # With sign-off: the values readers would see (PUBLIC_FIELDS) and the evidence, kept as a proposal.
    public: dict = field(default_factory=dict)
    public_evidence: list | None = None

    @property
    def status_changed(self):
        return self.claim.status != self.from_status

    @property
    def proposed(self):
        return bool(self.public) or self.public_evidence is not None

    @property
    def kind(self):
        """How an entry point counts it: proposed, new, updated or unchanged (one of them)."""
        if self.action != UNCHANGED and self.proposed:
            return PROPOSED
        return self.action


@dataclass
class ApplyResult:
    outcomes: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    proposals: list = field(default_factory=list)
    replaced: list = field(default_factory=list)  # open proposals a new one replaced

    @property
    def ok(self):
        return not self.problems

    @property
    def counts(self):
        """New, updated (applied now), proposed (waiting for sign-off) and unchanged: the same in a
        check (preview, dry run) as in the write, so every entry point counts alike."""
        counts = {NEW: 0, UPDATED: 0, PROPOSED: 0, UNCHANGED: 0}
        for outcome in self.outcomes:
            counts[outcome.kind] += 1
        return counts

    @property
    def written(self):
        return [o for o in self.outcomes if o.action != UNCHANGED]

    def outcome_for(self, change):
        return next((o for o in self.outcomes if o.change is change), None)


def _value(claim, name):
    """A stored field's value as the database holds it (a foreign key's id: no query)."""
    return getattr(claim, Claim._meta.get_field(name).attname)


def _chunks(items, size=QUERY_CHUNK):
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _link_key(link):
    return tuple(link.get(name) or None for name in EVIDENCE_FIELDS)


# ---------------------------------------------------------------------------------------------
# Working out what each change stores


class _Plan:
    """Each change worked out as it will be stored, with every problem: reads, never writes."""

    def __init__(self, changes, *, today, lock, propose=False):
        self.propose = propose
        self.today = today or timezone.localdate()
        self.now = timezone.now()
        self.result = ApplyResult()
        pks = sorted({c.claim.pk for c in changes if c.claim is not None and c.claim.pk})
        self.stored = {}
        for chunk in _chunks(pks):
            queryset = Claim.objects.filter(pk__in=chunk)
            if lock:
                queryset = queryset.select_for_update()
            self.stored.update((c.pk, c) for c in queryset)
        self._load_links_and_tags(pks)
        article_ids = {c.article.pk for c in changes if c.article is not None} | {
            c.article_id for c in self.stored.values()
        }
        self.articles = {a.pk: a for a in Article.objects.filter(pk__in=article_ids)}
        for change in changes:
            self._plan(change)

    def _load_links_and_tags(self, pks):
        self.links = defaultdict(list)
        self.tags = defaultdict(list)
        content_type = ContentType.objects.get_for_model(Claim)
        for chunk in _chunks(pks):
            for link in (
                Evidence.objects.filter(claim_id__in=chunk).order_by("pk").values("pk", "claim_id", *EVIDENCE_FIELDS)
            ):
                self.links[link["claim_id"]].append(link)
            items = TaggedItem.objects.filter(content_type=content_type, object_id__in=chunk).order_by("pk")
            for object_id, name in items.values_list("object_id", "tag__name"):
                self.tags[object_id].append(name)

    def _rating(self, pk):
        """A rating by id; the first asks for all of them (a few dozen rows at most)."""
        if pk is None:
            return None
        if not hasattr(self, "ratings"):
            self.ratings = Rating.objects.in_bulk()
        return self.ratings.get(pk)

    def _problem(self, change, field_name, message, code="rule"):
        self.result.problems.append(Problem(change, field_name, str(message), code))

    def _plan(self, change):
        found, stored = self._stored(change)
        if not found:
            return
        claim = self._start(change, stored)
        if claim is None:
            return
        from_status = stored.status if stored else Status.PENDING
        self._place(claim, change)
        self._set_values(claim, change, from_status)
        outcome = self._outcome(change, claim, stored, from_status)
        if outcome.action == UNCHANGED:
            self.result.outcomes.append(outcome)
            return
        if not self._check(outcome):
            return
        if self.propose:
            self._split(outcome)
        self.result.outcomes.append(outcome)

    def _stored(self, change):
        """(found, the stored claim or None for a new one); not found is a problem already raised."""
        if change.claim is None or not change.claim.pk:
            return True, None
        stored = self.stored.get(change.claim.pk)
        if stored is None:
            self._problem(change, "id", _("Claim #%(pk)s no longer exists.") % {"pk": change.claim.pk}, "gone")
            return False, None
        if change.expected_version is not None and stored.version != change.expected_version:
            self._problem(change, "id", CONCURRENT_EDIT_MESSAGE, "concurrent_edit")
            return False, None
        return True, stored

    def _start(self, change, stored):
        """The claim to change: a copy of the stored one, a new one, or None (a problem raised)."""
        if stored is not None:
            return copy.copy(stored)
        if change.article is None or change.sentence in (None, UNANCHORED):
            self._problem(change, "statement", _("A new claim needs an article and one of its sentences."))
            return None
        return Claim(pk=change.pk, article=change.article, status=Status.PENDING)

    def _place(self, claim, change):
        """The claim's article and anchor, as the change's sentence says."""
        if change.article is not None:
            claim.article = self.articles.get(change.article.pk, change.article)
        if change.sentence == UNANCHORED:
            claim.is_anchored = False
        elif isinstance(change.sentence, Detached):
            for name in ("statement", "position", "section", "prefix", "suffix"):
                setattr(claim, name, getattr(change.sentence, name))
            claim.is_anchored = False
        elif change.sentence is not None:
            for name, value in claim_anchor_fields(claim.article.body, change.sentence).items():
                setattr(claim, name, value)

    def _set_values(self, claim, change, from_status):
        unknown = set(change.values) - set(VALUE_FIELDS)
        if unknown:
            raise ValueError(f"claims_apply cannot set {sorted(unknown)}")
        for name, value in change.values.items():
            setattr(claim, name, value)
        if claim.status != from_status and claim.status != Status.PENDING and "last_checked" not in change.values:
            claim.last_checked = self.today

    def _outcome(self, change, claim, stored, from_status):
        """The outcome with its evidence and tags before and after, and what changed (UNCHANGED: nothing)."""
        links_before = self.links.get(stored.pk, []) if stored else []
        tags_before = self.tags.get(stored.pk, []) if stored else []
        outcome = Outcome(
            change=change,
            action=NEW if stored is None else UPDATED,
            claim=claim,
            from_status=from_status,
            stored=stored,
            links_before=links_before,
            links_after=links_before if change.evidence is None else change.evidence,
            tags_before=tags_before,
            tags_after=tags_before if change.tags is None else list(dict.fromkeys(change.tags)),
        )
        if stored is not None:
            outcome.changed = [name for name in STORED_FIELDS if _value(claim, name) != _value(stored, name)]
            if sorted(map(_link_key, outcome.links_before)) != sorted(map(_link_key, outcome.links_after)):
                outcome.changed.append("evidence")
            if set(outcome.tags_before) != set(outcome.tags_after):
                outcome.changed.append("tags")
            if not outcome.changed:
                outcome.action = UNCHANGED
        return outcome

    def _check(self, outcome):
        """The rules on the claim as it will be stored; False (problems raised) when one is broken."""
        change, claim, stored, from_status = outcome.change, outcome.claim, outcome.stored, outcome.from_status
        if not claim.is_claim and claim.status != from_status and claim.status != Status.PENDING:
            self._problem(change, "status", not_a_claim_message())
            return False
        errors = status_rule_errors(
            status=claim.status,
            verdict_note=claim.verdict_note,
            as_of=claim.as_of,
            stances=[link["stance"] for link in outcome.links_after],
        )
        for error in errors:
            self._problem(change, "status", error)
        rating_errors = rating_rule_errors(
            rating=self._rating(claim.rating_id),
            status=claim.status,
            is_claim=claim.is_claim,
            verdict_note=claim.verdict_note,
        )
        for error in rating_errors:
            self._problem(change, "rating", error)
        note_errors = new_verdict_note_errors(
            from_status=from_status,
            to_status=claim.status,
            stored_note=stored.verdict_note if stored else "",
            note=claim.verdict_note,
        )
        for error in note_errors:
            self._problem(change, "verdict_note", error)
        return not (errors or note_errors or rating_errors)

    @staticmethod
    def _split(outcome):
        """What of the change readers would see: it waits for sign-off (Outcome.public, public_evidence)."""
        change, base = outcome.change, outcome.stored or Claim()
        outcome.public = {
            name: value
            for name, value in change.values.items()
            if name in PUBLIC_FIELDS and _value(base, name) != _value(outcome.claim, name)
        }
        if change.evidence is not None and (
            "evidence" in outcome.changed or (outcome.stored is None and change.evidence)
        ):
            outcome.public_evidence = change.evidence
