"""Sign-off: a change readers would see waits as a Proposal until another chief editor approves it.

:func:`_propose` is how :func:`claims.services.workflow.claims_apply` applies a change with sign-off
on (what readers do not see at once, the rest kept as a proposal); :func:`proposal_approve` sends
the proposal through the same plan and write, named after both people.
"""

import dataclasses
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from claims.models import Claim, Proposal, Rating
from claims.validators import validate_visible_text

from .plan import PUBLIC_FIELDS, UNCHANGED, WRITE_BATCH, ChangeRefused, ClaimChange, _chunks, _Plan
from .write import _write


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
