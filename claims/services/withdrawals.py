"""Deleting and recovering claims: signed, recorded and explained to readers like any other change.

A deletion keeps a snapshot (a django-reversion revision of the claim, its evidence and its status
history) and leaves a :class:`Withdrawal`, so the claim's address says what happened to it and
訂正履歴 lists it. A recovery takes only a claim's own deletion snapshot, brings it back through
the write path and writes a history row. With sign-off on, both are proposals another chief editor
approves (:func:`claims.services.proposals.proposal_approve`).
"""

from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from reversion.models import Revision, Version
from taggit.models import Tag

from claims.caching.revision import Touched, content_changed
from claims.models import EVIDENCE_FIELDS, Article, Claim, Proposal, Rating, StatusChange, Withdrawal
from claims.validators import validate_visible_text

from .workflow import claim_recover, sign_off_applies

Via = StatusChange.Via


def _replace_open(claim_pks, now):
    replaced = list(Proposal.objects.open().filter(claim_id__in=claim_pks))
    Proposal.objects.filter(pk__in=[p.pk for p in replaced]).update(state=Proposal.State.WITHDRAWN, reviewed_at=now)
    return replaced


@transaction.atomic
def claims_delete(*, claims, user, via=Via.ADMIN, note="", propose=None, approved_by=None):
    """Delete ``claims`` (or, with sign-off on, propose their deletion). Returns (proposals, replaced).

    Each deleted claim leaves a snapshot to recover from and a Withdrawal naming both people.
    """
    validate_visible_text(note or "")
    if propose is None:
        propose = sign_off_applies(via)
    now = timezone.now()
    if propose:
        replaced = _replace_open([c.pk for c in claims], now)
        proposals = Proposal.objects.bulk_create(
            [
                Proposal(
                    claim=claim,
                    claim_pk=claim.pk,
                    action=Proposal.Action.DELETE,
                    base_version=claim.verdict_version,
                    note=note,
                    via=via,
                    proposed_by=user,
                    created_at=now,
                )
                for claim in claims
            ]
        )
        return proposals, replaced
    pks = [claim.pk for claim in claims]
    locked = list(Claim.objects.select_for_update().filter(pk__in=pks).select_related("article"))
    touched = Touched(
        claims=set(pks),
        articles={claim.article_id for claim in locked},
        tags=set(Tag.objects.filter(claim__pk__in=pks).values_list("pk", flat=True)),
    )
    withdrawals = []
    for claim in locked:
        snapshot = _snapshot(claim, user=user, now=now)
        withdrawals.append(
            Withdrawal(
                claim_pk=claim.pk,
                article=claim.article,
                reason=Withdrawal.Reason.DELETED,
                statement=claim.statement,
                status=claim.status,
                verdict_note=claim.verdict_note,
                note=note,
                was_public=claim.is_claim and claim.article.is_published,
                snapshot_version_id=snapshot.pk,
                user=user,
                approved_by=approved_by,
                created_at=now,
            )
        )
    Withdrawal.objects.bulk_create(withdrawals)
    Claim.objects.filter(pk__in=pks).delete()
    content_changed(touched)
    return [], []


def _snapshot(claim, *, user, now):
    """The claim's last version before its deletion, with its evidence and its status history, in a
    revision of its own (made here, not joined to whatever revision the admin has open, so that the
    withdrawal can name it). Returns the claim's Version."""
    revision = Revision.objects.create(date_created=now, user=user, comment=_("Deleted"))
    rows = [claim, *claim.evidence.all(), *claim.history.all()]
    versions = Version.objects.bulk_create(
        [
            Version(
                revision=revision,
                content_type=ContentType.objects.get_for_model(row),
                object_id=str(row.pk),
                db="default",
                format="json",
                serialized_data=serializers.serialize("json", [row]),
                object_repr=str(row)[:191],
            )
            for row in rows
        ]
    )
    return versions[0]


def deletion_snapshot(version_id):
    """The deletion snapshot ``version_id`` names, or a ValidationError (never a 500).

    Only a claim's own deletion snapshot, of a claim that is still deleted, may be recovered.
    """
    withdrawal = (
        Withdrawal.objects.filter(
            snapshot_version_id=version_id, reason=Withdrawal.Reason.DELETED, reinstated_at__isnull=True
        )
        .order_by("-pk")
        .first()
    )
    version = Version.objects.filter(pk=version_id).select_related("revision", "content_type").first()
    if (
        withdrawal is None
        or version is None
        or version.content_type.model_class() is not Claim
        or version.object_id != str(withdrawal.claim_pk)
    ):
        raise ValidationError(_("This is not the snapshot of a deleted claim: only those can be recovered."))
    if Claim.objects.filter(pk=withdrawal.claim_pk).exists():
        raise ValidationError(_("This claim exists: restore one of its versions from its history instead."))
    return version, withdrawal


def version_rating(then):
    """The rating a claim's version had (None for a version saved before ratings, or unrated)."""
    rating_id = then.get("rating_id", then.get("rating"))
    return Rating.objects.filter(pk=rating_id).first() if rating_id else None


def snapshot_values(version):
    """The claim's values, evidence and status history as its deletion snapshot holds them."""
    then = version.field_dict
    values = {name: then.get(name) for name in ["is_claim", "status", "verdict_note", "internal_note", "as_of"]}
    values["recheck_after"] = then.get("recheck_after")
    values["rating"] = version_rating(then)  # the rating readers saw comes back with the verdict
    pk = int(version.object_id)
    evidence, history = [], []
    for other in version.revision.version_set.select_related("content_type"):
        fields = other.field_dict
        if fields.get("claim_id") != pk:
            continue
        if other.content_type.model == "evidence":
            evidence.append({name: fields.get(name) for name in EVIDENCE_FIELDS})
        elif other.content_type.model == "statuschange":
            history.append(StatusChange(**{k: v for k, v in fields.items() if k not in ("id", "claim_id")}))
    return then, values, evidence, history


@transaction.atomic
def claim_recover_version(*, version_id, user, note="", propose=None, approved_by=None, via=Via.RESTORE):
    """Recover a deleted claim from its deletion snapshot (or, with sign-off on, propose it).

    Returns the recovered claim, or the Proposal. Needs the right to delete claims.
    """
    if user is not None and not user.has_perm("claims.delete_claim"):
        raise PermissionDenied
    validate_visible_text(note or "")
    version, withdrawal = deletion_snapshot(version_id)
    if propose is None:
        propose = sign_off_applies(via)
    now = timezone.now()
    if propose:
        replaced = list(Proposal.objects.open().filter(action=Proposal.Action.RECOVER, version_id=version.pk))
        Proposal.objects.filter(pk__in=[p.pk for p in replaced]).update(state=Proposal.State.WITHDRAWN, reviewed_at=now)
        return Proposal.objects.create(
            claim=None,
            claim_pk=withdrawal.claim_pk,
            action=Proposal.Action.RECOVER,
            version_id=version.pk,
            base_version=0,
            note=note,
            via=via,
            proposed_by=user,
            created_at=now,
        )
    then, values, evidence, history = snapshot_values(version)
    article = Article.objects.filter(pk=then.get("article_id")).first()
    if article is None:
        raise ValidationError(_("The claim's article no longer exists."))
    claim = claim_recover(
        pk=withdrawal.claim_pk,
        article=article,
        values=values,
        statement=then["statement"],
        position=then.get("position", 0),
        section=then.get("section", ""),
        evidence=evidence,
        history=history,
        user=user,
    )
    StatusChange.objects.create(
        claim=claim,
        kind=StatusChange.Kind.REINSTATED,
        from_status=claim.status,
        to_status=claim.status,
        note=note or _("Recovered after its deletion."),
        user=user,
        via=via,
        approved_by=approved_by,
        created_at=now,
    )
    Withdrawal.objects.filter(claim_pk=claim.pk, reinstated_at__isnull=True).update(reinstated_at=now)
    return claim
