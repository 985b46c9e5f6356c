"""The claims' rules: what each status, rating and new verdict needs, as messages an editor can act on.

Pure functions of the values a claim will be stored with; :mod:`claims.services.plan` calls them on
every change, and the forms and the method page (方法と評価基準) show the same messages.
"""

from django.utils.translation import gettext as _

from claims.models import Claim, Evidence, Rating

Status = Claim.Status
Stance = Evidence.Stance


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
