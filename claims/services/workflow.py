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

The steps live beside it by job: ``rules.py`` (what each status needs), ``plan.py`` (a change as
it will be stored), ``write.py`` (bulk writes, history, versions, the cache) and ``proposals.py``
(sign-off). This module keeps the entry points and names the public parts of all of them.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from claims import text
from claims.validators import validate_visible_text

from .anchoring import claim_locate
from .plan import (
    ANCHOR_FIELDS,
    CONCURRENT_EDIT_MESSAGE,
    NEW,
    PROPOSED,
    PUBLIC_FIELDS,
    QUERY_CHUNK,
    SIGNED_OFF_PATHS,
    STORED_FIELDS,
    UNANCHORED,
    UNCHANGED,
    UPDATED,
    VALUE_FIELDS,
    VERDICT_FIELDS,
    WRITE_BATCH,
    ApplyResult,
    ChangeRefused,
    ClaimChange,
    ConcurrentEditError,
    Detached,
    Outcome,
    Problem,
    Stance,
    Status,
    Via,
    _Plan,
)
from .proposals import _propose, proposal_approve, proposal_change, proposal_send_back
from .rules import new_verdict_note_errors, not_a_claim_message, rating_rule_errors, status_rule_errors
from .write import _write

__all__ = [
    "ANCHOR_FIELDS",
    "CONCURRENT_EDIT_MESSAGE",
    "NEW",
    "PROPOSED",
    "PUBLIC_FIELDS",
    "QUERY_CHUNK",
    "SIGNED_OFF_PATHS",
    "STORED_FIELDS",
    "UNANCHORED",
    "UNCHANGED",
    "UPDATED",
    "VALUE_FIELDS",
    "VERDICT_FIELDS",
    "WRITE_BATCH",
    "ApplyResult",
    "ChangeRefused",
    "ClaimChange",
    "ConcurrentEditError",
    "Detached",
    "Outcome",
    "Problem",
    "Stance",
    "Status",
    "Via",
    "claim_change_status",
    "claim_recover",
    "claims_apply",
    "claims_check",
    "new_verdict_note_errors",
    "not_a_claim_message",
    "proposal_approve",
    "proposal_change",
    "proposal_send_back",
    "rating_rule_errors",
    "sign_off_applies",
    "status_rule_errors",
]


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
