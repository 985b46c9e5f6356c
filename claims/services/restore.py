"""Restoring an old version of a claim or an article, and recovering a deleted claim.

django-reversion's own restore writes the old rows back as they were (no rule check, no history
row, an anchor that may now be another statement's). Here a version becomes a change like any
other: a claim's values and evidence go through :func:`claims_apply` (via "restore"), a deleted
claim through :func:`claim_recover_version`, an article's text through :func:`article_update`,
which re-anchors its claims. The admin's restore and recover pages only call these.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import localize
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _
from reversion.models import Version

from claims.models import EVIDENCE_FIELDS, Article, Claim, StatusChange

from .anchoring import claim_locate
from .articles import article_update
from .withdrawals import claim_recover_version, version_rating
from .workflow import ClaimChange, claims_apply

# What a claim's restore sets from its version (with its rating and evidence); the sentence is
# located again in the article as it reads now.
RESTORED_FIELDS = ["is_claim", "status", "verdict_note", "internal_note", "as_of", "recheck_after"]
ARTICLE_FIELDS = ["title", "slug", "lead", "body", "language", "is_published", "published_at"]


@dataclass(frozen=True)
class Restored:
    """What a claim's restore did: the claim as stored now (None while a recovery waits for
    sign-off), whether it recovered a deleted claim, and the proposals filed (and the open ones
    they replaced) when sign-off holds the change."""

    claim: Claim | None
    recovered: bool = False
    proposals: int = 0
    replaced: int = 0


def version_evidence(version):
    """The evidence links saved with a claim's version, as the workflow takes them."""
    links = []
    for other in version.revision.version_set.filter(content_type__model="evidence"):
        values = other.field_dict
        if values.get("claim_id") != int(version.object_id):
            continue
        link = {name: values.get(name) for name in EVIDENCE_FIELDS}
        link["pk"] = int(other.object_id)
        links.append(link)
    return links


def _version_of(model, version, version_id):
    if version is None:
        version = Version.objects.select_related("revision", "content_type").filter(pk=version_id).first()
    if version is None or version.content_type.model_class() is not model:
        raise ValidationError(_("This is not a version of a %(model)s.") % {"model": model._meta.verbose_name})
    return version


@transaction.atomic
def claim_restore_version(*, version=None, version_id=None, user, note="", verdict_only=False, expected_version=None):
    """Bring back a claim's ``version`` (a reversion Version, or its ``version_id``): its status,
    notes, rating and evidence, through the write path. Returns a :class:`Restored`.

    Links of the version deleted since come back as new links. A version whose sentence reads
    otherwise than the stored one is put back on that sentence, found again in the article; with
    ``verdict_only`` the claim keeps its current sentence and the history says what it read. A
    claim deleted since is recovered from its deletion snapshot (only that version can be).
    ``expected_version`` refuses the restore when someone saved the claim after it was read.
    """
    version = _version_of(Claim, version, version_id)
    stored = Claim.objects.filter(pk=version.object_id).first()
    if stored is None:
        recovered = claim_recover_version(version_id=version.pk, user=user, note=note)
        if isinstance(recovered, Claim):
            return Restored(claim=recovered, recovered=True)
        return Restored(claim=None, recovered=True, proposals=1)
    then = version.field_dict
    values = {name: then.get(name) for name in RESTORED_FIELDS}
    values["rating"] = version_rating(then)
    evidence = version_evidence(version)
    existing = set(stored.evidence.values_list("pk", flat=True))
    for link in evidence:
        if link["pk"] not in existing:
            link["pk"] = None
    sentence = None
    if not verdict_only and (then["statement"] != stored.statement or then["article_id"] != stored.article_id):
        article = Article.objects.filter(pk=then["article_id"]).first() or stored.article
        try:
            sentence = claim_locate(article=article, statement=then["statement"], exclude_pk=stored.pk)
        except ValidationError as error:
            raise ValidationError(
                [
                    *error.messages,
                    _("To bring back the verdict alone on the sentence as it reads now, tick the box below."),
                ]
            ) from error
    if verdict_only and not note:
        note = _("Verdict of %(date)s restored on the reworded sentence (it read: “%(before)s”).") % {
            "date": localize(template_localtime(version.revision.date_created)),
            "before": then["statement"],
        }
    change = ClaimChange(
        claim=stored,
        sentence=sentence,
        values=values,
        evidence=evidence,
        expected_version=expected_version,
        note=note,
    )
    result = claims_apply(changes=[change], user=user, via=StatusChange.Via.RESTORE)
    return Restored(claim=stored, proposals=len(result.proposals), replaced=len(result.replaced))


@transaction.atomic
def article_restore_version(*, version=None, version_id=None, user, note=""):
    """Bring back an article's ``version`` (or recreate a deleted article from it) through
    :func:`article_update`, which re-anchors its claims; ``note`` is the public correction note a
    published text's change needs. Returns the article."""
    version = _version_of(Article, version, version_id)
    then = version.field_dict
    article = Article.objects.select_for_update().filter(pk=version.object_id).first()
    if article is None:
        article = Article(pk=int(version.object_id))
    article_update(
        article=article,
        user=user,
        via=StatusChange.Via.RESTORE,
        correction_note=note,
        **{name: then.get(name) for name in ARTICLE_FIELDS},
    )
    return article
