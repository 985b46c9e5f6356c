"""The one write path for claims: what an editor decided is what readers see.

Every change to a claim, its evidence, its tags or its anchor, whatever the entry point (the
admin form and its evidence inline, a bulk action, the CSV import, an article edit, a version
restore, a command), is handed to :func:`claims_apply` as a list of :class:`ClaimChange`. In one
transaction it locks the claims, works out each claim as it will be stored (stored values, then
the change, evidence included), checks the rules on exactly those values, refuses everything
when one change breaks a rule or was made against an older version, and otherwise writes the
claims, evidence and tags in bulk, one history row per status change, one django-reversion
version per changed claim, and tells the page cache once. :func:`claims_check` runs the same
steps without writing, for forms and previews. docs/write-path.md shows each entry point.
"""

import copy
import dataclasses
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice

import reversion
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reversion.models import Revision, Version
from taggit.models import Tag, TaggedItem

from claims import text
from claims.archiving import archive_on_commit
from claims.caching.revision import Touched, content_changed
from claims.models import EVIDENCE_FIELDS, Article, Claim, Evidence, Proposal, Rating, StatusChange, Withdrawal
from claims.validators import validate_visible_text

from .anchoring import claim_anchor_fields, claim_locate

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
# The rules


def status_rule_errors(*, status, verdict_note, as_of, stances):
    """Why a claim with these values may not have this status ([] when it may).

    ``stances`` is the stance of each of the claim's evidence links, as they will be stored.
    """
    errors = []
    note = (verdict_note or "").strip()
    if status not in Status.values:
        errors.append(_("Unknown status “%(status)s”.") % {"status": status})
    elif status == Status.VERIFIED and Stance.SUPPORTS not in stances:
        errors.append(_("Verified needs at least one evidence link that supports the statement."))
    elif status == Status.DISPUTED:
        if Stance.REFUTES not in stances and Stance.CONTEXT not in stances:
            errors.append(
                _(
                    "Disputed needs contrary evidence: a link that refutes the statement or puts it in context. "
                    "When nothing was found either way, the status is “unsupported”."
                )
            )
        if not note:
            errors.append(_("Disputed needs a verdict note that says what the contrary evidence shows."))
    elif status == Status.UNSUPPORTED and not note:
        errors.append(_("Unsupported needs a verdict note that says what was searched, where and when."))
    elif status == Status.OUTDATED:
        if not as_of:
            errors.append(_("Outdated needs an “as of” date: when the statement was true."))
        if not note:
            errors.append(_("Outdated needs a verdict note that says what has changed."))
    return errors


def new_verdict_note_errors(*, from_status, to_status, stored_note, note):
    """A verdict and its note change together: a new verdict (other than a first "verified", or a
    return to pending) needs a note written for it, not the note of the verdict it replaces."""
    if to_status == from_status or to_status == Status.PENDING:
        return []
    if from_status == Status.PENDING and to_status == Status.VERIFIED:
        return []
    kept = (note or "").strip()
    if not kept or kept != (stored_note or "").strip():
        return []
    return [
        _(
            "A new verdict needs a verdict note written for it: the note was written for the previous "
            "verdict (%(before)s). Say what the new verdict (%(after)s) rests on."
        )
        % {"before": Status(from_status).label, "after": Status(to_status).label}
    ]


def rating_rule_errors(*, rating, status, is_claim, verdict_note):
    """Why a claim with this status may not carry this rating ([] when it may, or has none).

    A rating belongs to its status's family (an outdated claim keeps the verified or disputed
    rating of what it was when written); an unverified claim has none; the "not a claim" rating
    only marks a statement that is not a claim (whose rating readers never see); some ratings
    need a note naming the caveat.
    """
    if rating is None:
        return []
    if not is_claim:
        return []  # readers see no verdict of a statement that is not a claim
    if rating.status == Rating.NOT_A_CLAIM:
        return [
            _("The rating “%(rating)s” is for statements that are not claims: mark it “not a claim” instead.")
            % {"rating": rating.label}
        ]
    if status == Status.PENDING:
        return [_("An unverified claim takes no rating: decide its status first, or clear the rating.")]
    family = [Status.VERIFIED, Status.DISPUTED] if status == Status.OUTDATED else [status]
    if rating.status not in family:
        return [
            _("The rating “%(rating)s” belongs to claims that are %(family)s, not %(status)s.")
            % {
                "rating": rating.label,
                "family": Status(rating.status).label.lower(),
                "status": Status(status).label.lower(),
            }
        ]
    if rating.needs_note and not (verdict_note or "").strip():
        return [
            _("“%(rating)s” needs a verdict note that names the caveat or the missing context.")
            % {"rating": rating.label}
        ]
    return []


def not_a_claim_message():
    return _("This statement is marked “not a claim”, so it takes no status: mark it as a claim first.")


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
# The entry points


def claims_check(*, changes, today=None, via=None, propose=None):
    """What :func:`claims_apply` would do with ``changes``, and every problem; writes nothing.

    Given ``via`` (or ``propose``), the outcomes say which changes would become proposals, so a
    preview counts exactly as the write will."""
    if propose is None:
        propose = via is not None and sign_off_applies(via)
    return _Plan(changes, today=today, lock=False, propose=propose).result


def sign_off_applies(via):
    """Whether a change made this way waits for a second person (CLAIMS_SIGN_OFF, on by default)."""
    return settings.CLAIMS_SIGN_OFF and via in SIGNED_OFF_PATHS


@transaction.atomic
def claims_apply(*, changes, user=None, via, note="", today=None, notify=True, propose=None, batch=""):
    """Apply ``changes`` all together or not at all; returns the ApplyResult.

    With sign-off on (``propose``; by default when :func:`sign_off_applies`), what readers would
    see of each claim (status, verdict note, "as of", evidence) is not applied but kept as a
    ``Proposal`` for another person to approve (:func:`proposal_approve`); the rest of the change
    (internal note, recheck date, tags, anchor) is applied at once. The rules are checked on the
    whole change either way, so a proposal that could never be approved is refused now.

    Raises ConcurrentEditError when a claim was saved since its change was prepared, and
    ChangeRefused (with every problem) when a change breaks a rule.
    """
    if propose is None:
        propose = sign_off_applies(via)
    plan = _Plan(changes, today=today, lock=True, propose=propose)
    result = plan.result
    if result.problems:
        concurrent = [p for p in result.problems if p.code == "concurrent_edit"]
        if concurrent and len(concurrent) == len(result.problems):
            raise ConcurrentEditError(concurrent)
        raise ChangeRefused(result.problems)
    user = user if user is not None and getattr(user, "pk", None) else None
    # A history note is public (claim page, feed): the same validator as every other text, any path.
    for text_value in {note, *(change.note for change in changes)}:
        validate_visible_text(text_value or "")
    if propose:
        return _propose(result, user=user, via=via, note=note, today=today, notify=notify, batch=batch)
    return _write(result, plan, user=user, via=via, note=note, notify=notify)


def _write(result, plan, *, user, via, note, notify, approved_by=None):
    written = result.written
    if written:
        _Writer(written, user=user, via=via, note=note, now=plan.now, approved_by=approved_by).write()
        if notify:
            content_changed(_touched(written))
    return result


def _touched(outcomes):
    """What written claims touch: their pages, their articles' pages (old and new, for a claim
    that moved), their tags (before and after) and the index."""
    names = {name for o in outcomes for name in (*o.tags_before, *o.tags_after)}
    return Touched(
        articles={o.claim.article_id for o in outcomes} | {o.stored.article_id for o in outcomes if o.stored},
        claims={o.claim.pk for o in outcomes},
        tags=set(Tag.objects.filter(name__in=names).values_list("pk", flat=True)) if names else set(),
    )


def _jsonable(value):
    if isinstance(value, Rating):
        return value.pk
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _propose(checked, *, user, via, note, today, notify, batch):
    """Apply what readers do not see; keep the rest of each change as a Proposal.

    The result's outcomes are the checked ones (each counted as proposed, new, updated or
    unchanged), with the claims as written; an open proposal that a new one replaces is listed
    in ``replaced``.
    """
    direct, proposed = [], []
    for outcome in checked.outcomes:
        if outcome.action == UNCHANGED:
            continue
        change = outcome.change
        private = dataclasses.replace(
            change, values={k: v for k, v in change.values.items() if k not in PUBLIC_FIELDS}, evidence=None
        )
        direct.append((outcome, private))
    plan = _Plan([private for _outcome, private in direct], today=today, lock=True)
    written = _write(plan.result, plan, user=user, via=via, note=note, notify=notify)
    proposals, replace = [], []
    for outcome, private in direct:
        claim = written.outcome_for(private).claim
        # The outcome keeps the claim as the change would make it, under the id and version written now.
        outcome.claim.pk, outcome.claim.version = claim.pk, claim.version
        outcome.claim.verdict_version = claim.verdict_version
        if outcome.proposed:
            proposed.append(claim.pk)
            proposals.append(
                Proposal(
                    claim=claim,
                    claim_pk=claim.pk,
                    values=_jsonable(outcome.public),
                    evidence=_jsonable(list(outcome.public_evidence)) if outcome.public_evidence is not None else None,
                    base_version=claim.verdict_version,
                    note=private.note or note,
                    via=via,
                    batch=batch,
                    proposed_by=user,
                    created_at=plan.now,
                )
            )
    for chunk in _chunks(proposed):
        replace += Proposal.objects.open().filter(claim_id__in=chunk)
    if replace:
        Proposal.objects.filter(pk__in=[p.pk for p in replace]).update(
            state=Proposal.State.WITHDRAWN, reviewed_at=plan.now
        )
    checked.replaced = replace
    checked.proposals = Proposal.objects.bulk_create(proposals, batch_size=WRITE_BATCH)
    return checked


def _from_json(values):
    values = dict(values)
    if values.get("as_of"):
        values["as_of"] = datetime.date.fromisoformat(values["as_of"])
    if values.get("rating"):
        values["rating"] = Rating.objects.filter(pk=values["rating"]).first()
    return values


def proposal_change(proposal):
    """The ClaimChange a proposal would make now (for the approval and for the diff an editor reads)."""
    evidence = None
    if proposal.evidence is not None:
        evidence = [
            {**link, "accessed": datetime.date.fromisoformat(link["accessed"]) if link.get("accessed") else None}
            for link in proposal.evidence
        ]
    return ClaimChange(claim=proposal.claim, values=_from_json(proposal.values), evidence=evidence, note=proposal.note)


@transaction.atomic
def proposal_approve(*, proposal, user, seen_version=None, today=None):
    """Sign a proposal off: its change goes through the write path, named after both people.

    Refused for the proposer (a superuser too), for someone without the sign-off permission, for a
    proposal already reviewed, and for one whose claim was saved since it was proposed unless the
    approver saw the claim as it is now (``seen_version``).
    """
    # Lock the proposal row only: PostgreSQL cannot lock the nullable side (proposed_by) of an outer join.
    proposal = (
        Proposal.objects.select_for_update(of=("self",)).select_related("claim", "proposed_by").get(pk=proposal.pk)
    )
    if proposal.state != Proposal.State.OPEN:
        raise ValidationError(_("This proposal was already reviewed."), code="reviewed")
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == user.pk:
        raise ValidationError(
            _("Nobody signs off their own proposal: another chief editor must approve it."), code="own"
        )
    if not user.has_perm("claims.approve_proposal"):
        raise ValidationError(_("Only chief editors sign proposals off."), code="permission")
    if proposal.action == Proposal.Action.RECOVER:
        from .withdrawals import claim_recover_version

        claim_recover_version(
            version_id=proposal.version_id,
            user=proposal.proposed_by,
            approved_by=user,
            note=proposal.note,
            propose=False,  # signed by two people now
        )
        return _reviewed(proposal, user, Proposal.State.APPROVED)
    claim = Claim.objects.select_for_update().filter(pk=proposal.claim_id).first()
    if claim is None:
        raise ValidationError(_("The claim of this proposal no longer exists."), code="gone")
    if claim.verdict_version != proposal.base_version and seen_version != claim.verdict_version:
        raise ValidationError(
            _(
                "The claim was changed after this proposal was made. Open the proposal, look at it "
                "against the claim as it is now, and approve it from there."
            ),
            code="stale",
        )
    if proposal.action == Proposal.Action.DELETE:
        from .withdrawals import claims_delete

        _reviewed(proposal, user, Proposal.State.APPROVED)
        claims_delete(
            claims=[claim],
            user=proposal.proposed_by,
            via=proposal.via,
            note=proposal.note,
            approved_by=user,
            propose=False,  # signed by two people now
        )
        return None
    change = proposal_change(proposal)
    change.claim = claim
    change.expected_version = claim.version
    plan = _Plan([change], today=today, lock=True)
    if plan.result.problems:
        raise ChangeRefused(plan.result.problems)
    result = _write(
        plan.result,
        plan,
        user=proposal.proposed_by,
        via=proposal.via,
        note=proposal.note,
        notify=True,
        approved_by=user,
    )
    _reviewed(proposal, user, Proposal.State.APPROVED)
    return result


def _reviewed(proposal, user, state):
    proposal.state = state
    proposal.reviewed_by = user
    proposal.reviewed_at = timezone.now()
    proposal.save(update_fields=["state", "reviewed_by", "reviewed_at"])
    return proposal


@transaction.atomic
def proposal_send_back(*, proposal, user, comment):
    """Send a proposal back to its author with a comment; nothing of it reaches readers."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Say why it goes back: the proposer reads this comment."), code="comment")
    validate_visible_text(comment)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.state != Proposal.State.OPEN:
        raise ValidationError(_("This proposal was already reviewed."), code="reviewed")
    if not user.has_perm("claims.approve_proposal"):
        raise ValidationError(_("Only chief editors sign proposals off."), code="permission")
    proposal.state = Proposal.State.SENT_BACK
    proposal.reviewed_by = user
    proposal.reviewed_at = timezone.now()
    proposal.review_comment = comment
    proposal.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment"])
    return proposal


def claim_change_status(*, claim, to, note="", user=None, via, today=None, **values):
    """One claim to status ``to`` (with any other ``values`` it needs), through claims_apply.

    Returns True when the claim changed. The rules see the stored claim with ``values`` applied,
    never the caller's unsaved object.
    """
    change = ClaimChange(claim=claim, values={"status": to, **values}, note=note)
    return bool(claims_apply(changes=[change], user=user, via=via, today=today).written)


def claim_recover(*, pk, article, values, statement, position, section, evidence, history, user=None):
    """Bring a deleted claim back under its id, with its values, evidence and status history.

    It takes its old sentence when that is still free, else the same statement elsewhere in the
    article; when the sentence is gone or claimed again it comes back unanchored. Returns the claim.
    """
    taken = set(article.claims.filter(is_anchored=True).values_list("position", flat=True))
    sentence = next(
        (
            s
            for s in text.sentences(article.body)
            if s.start == position and s.text == statement and s.start not in taken
        ),
        None,
    )
    if sentence is None:
        try:
            sentence = claim_locate(article=article, statement=statement)
        except ValidationError:
            sentence = Detached(statement=statement, position=position, section=section)
    change = ClaimChange(article=article, sentence=sentence, values=values, evidence=evidence, pk=pk, history=history)
    # Deleting and recovering are a chief editor's acts on their own; the recovered verdict was public.
    return claims_apply(changes=[change], user=user, via=Via.RESTORE, propose=False).outcomes[0].claim


# ---------------------------------------------------------------------------------------------
# Working out what each change stores


class _Plan:
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
        article_ids = {c.article.pk for c in changes if c.article is not None} | {
            c.article_id for c in self.stored.values()
        }
        self.articles = {a.pk: a for a in Article.objects.filter(pk__in=article_ids)}
        for change in changes:
            self._plan(change)

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
        stored = None
        if change.claim is not None and change.claim.pk:
            stored = self.stored.get(change.claim.pk)
            if stored is None:
                self._problem(change, "id", _("Claim #%(pk)s no longer exists.") % {"pk": change.claim.pk}, "gone")
                return
            if change.expected_version is not None and stored.version != change.expected_version:
                self._problem(change, "id", CONCURRENT_EDIT_MESSAGE, "concurrent_edit")
                return
        if stored is None:
            if change.article is None or change.sentence in (None, UNANCHORED):
                self._problem(change, "statement", _("A new claim needs an article and one of its sentences."))
                return
            claim = Claim(pk=change.pk, article=change.article, status=Status.PENDING)
        else:
            claim = copy.copy(stored)
        from_status = stored.status if stored else Status.PENDING
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
        unknown = set(change.values) - set(VALUE_FIELDS)
        if unknown:
            raise ValueError(f"claims_apply cannot set {sorted(unknown)}")
        for name, value in change.values.items():
            setattr(claim, name, value)
        if claim.status != from_status and claim.status != Status.PENDING and "last_checked" not in change.values:
            claim.last_checked = self.today
        links_before = self.links.get(stored.pk, []) if stored else []
        links_after = links_before if change.evidence is None else change.evidence
        tags_before = self.tags.get(stored.pk, []) if stored else []
        tags_after = tags_before if change.tags is None else list(dict.fromkeys(change.tags))
        outcome = Outcome(
            change=change,
            action=NEW if stored is None else UPDATED,
            claim=claim,
            from_status=from_status,
            stored=stored,
            links_before=links_before,
            links_after=links_after,
            tags_before=tags_before,
            tags_after=tags_after,
        )
        if stored is not None:
            outcome.changed = [name for name in STORED_FIELDS if _value(claim, name) != _value(stored, name)]
            if sorted(map(_link_key, links_before)) != sorted(map(_link_key, links_after)):
                outcome.changed.append("evidence")
            if set(tags_before) != set(tags_after):
                outcome.changed.append("tags")
            if not outcome.changed:
                outcome.action = UNCHANGED
                self.result.outcomes.append(outcome)
                return
        if not claim.is_claim and claim.status != from_status and claim.status != Status.PENDING:
            self._problem(change, "status", not_a_claim_message())
            return
        errors = status_rule_errors(
            status=claim.status,
            verdict_note=claim.verdict_note,
            as_of=claim.as_of,
            stances=[link["stance"] for link in links_after],
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
        if errors or note_errors or rating_errors:
            return
        if self.propose:
            self._split(outcome)
        self.result.outcomes.append(outcome)

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


# ---------------------------------------------------------------------------------------------
# Writing


MOVED_ONLY = {"position", "prefix", "suffix", "section"}


def _verdict_changed(outcome):
    return bool(set(outcome.changed) & {*VERDICT_FIELDS, "evidence"})


class _Writer:
    def __init__(self, outcomes, *, user, via, note, now, approved_by=None):
        self.outcomes = outcomes
        self.user = user
        self.via = via
        self.note = note
        self.now = now
        self.approved_by = approved_by

    def write(self):
        new = [o.claim for o in self.outcomes if o.action == NEW]
        updated = [o for o in self.outcomes if o.action == UPDATED]
        # Free the places of claims that move first, so that no two collide on (article, position).
        moving = [o.claim.pk for o in updated if set(o.changed) & {"article", "position", "is_anchored"}]
        for chunk in _chunks(moving):
            Claim.objects.filter(pk__in=chunk).update(is_anchored=False)
        for outcome in updated:
            outcome.claim.version = outcome.stored.version + 1
            outcome.claim.verdict_version = outcome.stored.verdict_version + bool(_verdict_changed(outcome))
            outcome.claim.updated_at = self.now
        if updated:
            Claim.objects.bulk_update(
                [o.claim for o in updated],
                [*STORED_FIELDS, "version", "verdict_version", "updated_at"],
                batch_size=WRITE_BATCH,
            )
        for claim in new:
            claim.version = claim.verdict_version = 1
            claim.created_at = claim.updated_at = self.now
        with_id = [claim for claim in new if claim.pk]
        if with_id:
            Claim.objects.bulk_create(with_id, batch_size=WRITE_BATCH)
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Claim]):
                    cursor.execute(sql)
        without_id = [claim for claim in new if not claim.pk]
        if without_id:
            Claim.objects.bulk_create(without_id, batch_size=WRITE_BATCH)
        self._write_evidence()
        self._write_tags()
        StatusChange.objects.bulk_create(
            [
                StatusChange(
                    claim=o.claim,
                    from_status=o.from_status,
                    to_status=o.claim.status,
                    note=o.change.note or self.note,
                    user=self.user,
                    via=self.via,
                    approved_by=self.approved_by,
                    created_at=self._history_date(o.claim),
                )
                for o in self.outcomes
                if o.status_changed and o.change.history is None
            ],
            batch_size=WRITE_BATCH,
        )
        # A verdict readers had seen changed: the article says when it was last corrected.
        corrected = {
            o.claim.article_id
            for o in self.outcomes
            if o.status_changed and o.from_status != Status.PENDING and self.via != Via.LOAD
        }
        if corrected:
            Article.objects.filter(pk__in=corrected).update(corrected_at=self.now)
        restored = [row for o in self.outcomes if o.change.history for row in o.change.history]
        for outcome in self.outcomes:
            for row in outcome.change.history or ():
                row.claim = outcome.claim
        StatusChange.objects.bulk_create(restored, batch_size=WRITE_BATCH)
        self._write_withdrawals(updated)
        self._record_versions()

    def _write_withdrawals(self, updated):
        """A claim readers could see that is marked not a claim leaves a Withdrawal (its address says
        so, 訂正履歴 lists it) and a history row; marked a claim again, it is public again."""
        withdrawn = [o for o in updated if o.stored.is_claim and not o.claim.is_claim]
        reinstated = [o for o in updated if not o.stored.is_claim and o.claim.is_claim]
        Withdrawal.objects.bulk_create(
            [
                Withdrawal(
                    claim_pk=o.claim.pk,
                    article_id=o.claim.article_id,
                    reason=Withdrawal.Reason.NOT_A_CLAIM,
                    statement=o.stored.statement,
                    status=o.stored.status,
                    verdict_note=o.stored.verdict_note,
                    note=o.change.note or self.note,
                    was_public=o.claim.article.is_published,
                    user=self.user,
                    approved_by=self.approved_by,
                    created_at=self.now,
                )
                for o in withdrawn
            ],
            batch_size=WRITE_BATCH,
        )
        for chunk in _chunks([o.claim.pk for o in reinstated]):
            Withdrawal.objects.filter(claim_pk__in=chunk, reinstated_at__isnull=True).update(reinstated_at=self.now)
        Kind = StatusChange.Kind
        StatusChange.objects.bulk_create(
            [
                StatusChange(
                    claim=o.claim,
                    kind=Kind.WITHDRAWN if o in withdrawn else Kind.REINSTATED,
                    from_status=o.stored.status,
                    to_status=o.claim.status,
                    note=o.change.note or self.note,
                    user=self.user,
                    via=self.via,
                    approved_by=self.approved_by,
                    created_at=self.now,
                )
                for o in (*withdrawn, *reinstated)
                if o.claim.status != Status.PENDING  # triage of unchecked sentences is no verdict's history
            ],
            batch_size=WRITE_BATCH,
        )

    def _history_date(self, claim):
        """When the change happened: now, except for the shipped record, dated from its own last check."""
        if self.via == Via.LOAD and claim.last_checked:
            return timezone.make_aware(datetime.datetime.combine(claim.last_checked, datetime.time(12)))
        return self.now

    def _write_evidence(self):
        creates, updates, deletes, relinked = [], [], [], []
        for outcome in self.outcomes:
            if outcome.change.evidence is None:
                continue
            claim = outcome.claim
            by_pk = {link["pk"]: link for link in outcome.links_before}
            by_url = {}
            for link in outcome.links_before:
                by_url.setdefault(link["url"], link)
            kept = set()
            for link in outcome.change.evidence:
                old = by_pk.get(link.get("pk")) or (None if link.get("pk") else by_url.get(link["url"]))
                if old is not None and old["pk"] in kept:
                    old = None
                values = {name: link.get(name) for name in EVIDENCE_FIELDS}
                values = {k: ("" if v is None and k not in ("accessed",) else v) for k, v in values.items()}
                if old is None:
                    creates.append(Evidence(claim=claim, **values))
                    continue
                kept.add(old["pk"])
                if any((old[name] or None) != (values[name] or None) for name in EVIDENCE_FIELDS):
                    updates.append(Evidence(pk=old["pk"], claim_id=claim.pk, **values))
                    relinked += [old["pk"]] if old["url"] != values["url"] else []
            deletes += [link["pk"] for link in outcome.links_before if link["pk"] not in kept]
        for chunk in _chunks(deletes):
            Evidence.objects.filter(pk__in=chunk).delete()
        if updates:
            Evidence.objects.bulk_update(updates, EVIDENCE_FIELDS, batch_size=WRITE_BATCH)
        Evidence.objects.bulk_create(creates, batch_size=WRITE_BATCH)
        # A source newly cited (or a link pointed elsewhere) is archived by the task worker after the commit.
        archive_on_commit([e.pk for e in creates] + relinked)

    def _write_tags(self):
        content_type = ContentType.objects.get_for_model(Claim)
        adds, removes = [], defaultdict(set)
        for outcome in self.outcomes:
            if outcome.change.tags is None:
                continue
            before, after = set(outcome.tags_before), outcome.tags_after
            adds += [(outcome.claim, name) for name in after if name not in before]
            for name in before - set(after):
                removes[outcome.claim.pk].add(name)
        for claim_pk, names in removes.items():
            TaggedItem.objects.filter(content_type=content_type, object_id=claim_pk, tag__name__in=names).delete()
        if not adds:
            return
        names = {name for _claim, name in adds}
        ids = {}
        for chunk in _chunks(sorted(names)):
            ids.update(Tag.objects.filter(name__in=chunk).values_list("name", "pk"))
        for name in sorted(names - ids.keys()):
            tag = Tag(name=name)
            tag.save()  # taggit makes the slug
            ids[name] = tag.pk
        TaggedItem.objects.bulk_create(
            [TaggedItem(content_type=content_type, object_id=claim.pk, tag_id=ids[name]) for claim, name in adds],
            batch_size=WRITE_BATCH,
        )

    def _record_versions(self):
        """One django-reversion version per changed claim (with its evidence), restorable on its own.

        Inside a revision the admin opened, the claims join it; otherwise each claim gets a revision
        of its own (bulk-created: an import of ten thousand rows stays a few queries).
        """
        # A claim that only moved (an edit elsewhere shifted its position) gets no version: nothing
        # of it changed that anyone would restore, and its history stays as it was.
        claims = [o.claim for o in self.outcomes if o.action == NEW or set(o.changed) - MOVED_ONLY]
        # An article's own revision (its admin save) is not the claims' history: they get their own.
        if reversion.is_active() and self.via != Via.ARTICLE:
            for claim in claims:
                reversion.add_to_revision(claim)
            return
        comment = str(Via(self.via).label)
        if self.approved_by is not None:
            comment = _("%(how)s, proposed by %(proposer)s, approved by %(approver)s") % {
                "how": comment,
                "proposer": self.user or "—",
                "approver": self.approved_by,
            }
        revisions = Revision.objects.bulk_create(
            [Revision(date_created=self.now, user=self.user, comment=comment) for _claim in claims],
            batch_size=WRITE_BATCH,
        )
        claim_type = ContentType.objects.get_for_model(Claim)
        evidence_type = ContentType.objects.get_for_model(Evidence)
        links = defaultdict(list)
        for chunk in _chunks([c.pk for c in claims]):
            for link in Evidence.objects.filter(claim_id__in=chunk):
                links[link.claim_id].append(link)
        versions = []
        for claim, revision in zip(claims, revisions, strict=True):
            for obj, content_type in [(claim, claim_type), *((link, evidence_type) for link in links[claim.pk])]:
                versions.append(
                    Version(
                        revision=revision,
                        content_type=content_type,
                        object_id=str(obj.pk),
                        db="default",
                        format="json",
                        serialized_data=serializers.serialize("json", [obj]),
                        object_repr=str(obj)[:191],
                    )
                )
        Version.objects.bulk_create(versions, batch_size=WRITE_BATCH)
