"""Restoring a version through the services (claims/services/restore.py), without the admin page."""

import pytest
import reversion
from django.core.exceptions import ValidationError
from django.utils.formats import localize
from django.utils.timezone import template_localtime
from reversion.models import Version

from claims import services
from claims.models import ArticleCorrection, Claim, Proposal, StatusChange, Withdrawal
from claims.tests.factories import edit, ja, make_status, make_verified, rating

pytestmark = pytest.mark.django_db
Status = Claim.Status
Via = StatusChange.Via
FUJI = "富士山は日本一高い山です。"
REWORDED = "富士山は日本で最も高い山です。"


def newest_version(obj):
    return Version.objects.get_for_object(obj).order_by("-pk").first()


def reword(article, user):
    services.article_update(
        article=article, user=user, body=article.body.replace(FUJI, REWORDED), correction_note="言い換え"
    )


@pytest.fixture
def verified(claim):
    """The version of the claim verified on one supporting link, then disputed since."""
    make_verified(claim, note="国土地理院の資料で確認。")
    version = newest_version(claim)
    make_status(claim, Status.DISPUTED, note="別の測量では違う。")
    return version


def test_restoring_an_older_verdict_writes_a_history_row_via_restore(claim, chief, verified):
    history_before = claim.history.count()
    restored = services.claim_restore_version(version=verified, user=chief, note="測量を取り違えた。")
    claim.refresh_from_db()
    assert (restored.claim, restored.recovered, restored.proposals) == (claim, False, 0)
    assert (claim.status, claim.verdict_note) == (Status.VERIFIED, "国土地理院の資料で確認。")
    assert [link.stance for link in claim.evidence.all()] == ["supports"]  # the refuting link came later
    row = claim.history.first()
    assert (row.from_status, row.to_status, row.via, row.user, row.note) == (
        Status.DISPUTED,
        Status.VERIFIED,
        Via.RESTORE,
        chief,
        "測量を取り違えた。",
    )
    assert claim.history.count() == history_before + 1
    assert newest_version(claim).field_dict["status"] == Status.VERIFIED  # the restore is a version too


def test_a_link_deleted_since_comes_back_as_a_new_link(claim, chief):
    make_verified(claim)
    [link] = claim.evidence.all()
    version = newest_version(claim)
    edit(claim, status=Status.PENDING, evidence=[])
    assert not claim.evidence.exists()
    services.claim_restore_version(version=version, user=chief)
    claim.refresh_from_db()
    [back] = claim.evidence.all()
    assert (back.url, back.title, back.stance) == (link.url, link.title, link.stance)
    assert back.pk != link.pk
    assert claim.status == Status.VERIFIED


def test_a_reworded_claim_is_not_restored_on_a_sentence_the_article_no_longer_has(article, claim, chief):
    make_verified(claim)
    version = newest_version(claim)
    reword(article, chief)
    claim.refresh_from_db()
    history_before = claim.history.count()
    with pytest.raises(ValidationError) as refused:
        services.claim_restore_version(version=version, user=chief)
    not_a_sentence = ja("This statement is not a sentence of “%(article)s”. Copy it exactly from the article text.")
    assert refused.value.messages == [
        not_a_sentence % {"article": article.title},
        ja("To bring back the verdict alone on the sentence as it reads now, tick the box below."),
    ]
    claim.refresh_from_db()
    assert (claim.status, claim.statement) == (Status.PENDING, REWORDED)
    assert claim.history.count() == history_before


def test_the_verdict_alone_stays_on_the_reworded_sentence_with_a_note_of_what_it_read(article, claim, chief):
    make_verified(claim)
    version = newest_version(claim)
    reword(article, chief)
    services.claim_restore_version(version=version, user=chief, verdict_only=True)
    claim.refresh_from_db()
    assert (claim.status, claim.statement) == (Status.VERIFIED, REWORDED)
    assert article.body[claim.position :].startswith(REWORDED)
    row = claim.history.first()
    when = localize(template_localtime(version.revision.date_created))
    default = ja("Verdict of %(date)s restored on the reworded sentence (it read: “%(before)s”).")
    assert (row.via, row.note) == (Via.RESTORE, default % {"date": when, "before": FUJI})


def test_a_restore_made_against_an_older_reading_is_refused_and_writes_nothing(claim, chief, verified):
    read = claim.version
    edit(claim, verdict_note="別の編集者の判定メモ。")  # someone saves meanwhile
    with pytest.raises(services.ConcurrentEditError):
        services.claim_restore_version(version=verified, user=chief, expected_version=read)
    claim.refresh_from_db()
    assert (claim.status, claim.verdict_note) == (Status.DISPUTED, "別の編集者の判定メモ。")


def test_only_a_claims_own_version_can_be_restored_as_a_claim(claim, chief, verified):
    link = verified.revision.version_set.exclude(pk=verified.pk).get()  # the evidence saved with it
    with pytest.raises(ValidationError) as refused:
        services.claim_restore_version(version_id=link.pk, user=chief)
    assert refused.value.messages == [ja("This is not a version of a %(model)s.") % {"model": ja("claim")}]


def test_a_deleted_claims_snapshot_recovers_it(claim, chief):
    make_verified(claim)
    pk = claim.pk
    services.claims_delete(claims=[claim], user=chief)
    snapshot = Withdrawal.objects.get(claim_pk=pk).snapshot_version_id
    restored = services.claim_restore_version(version_id=snapshot, user=chief)
    assert restored.recovered and restored.proposals == 0
    assert restored.claim.pk == pk and Claim.objects.get(pk=pk).status == Status.VERIFIED
    assert Withdrawal.objects.get(claim_pk=pk).reinstated_at is not None


def test_a_recovered_claim_keeps_the_rating_readers_saw(claim, chief):
    make_verified(claim)
    edit(claim, rating=rating("accurate"), verdict_note="国土地理院の標高で確認した。")
    pk = claim.pk
    services.claims_delete(claims=[claim], user=chief)
    snapshot = Withdrawal.objects.get(claim_pk=pk).snapshot_version_id
    services.claim_restore_version(version_id=snapshot, user=chief)
    assert Claim.objects.get(pk=pk).rating.code == "accurate"


@pytest.mark.sign_off
def test_under_sign_off_a_restore_files_a_proposal_a_second_chief_publishes(claim, editor, chief, second_chief):
    verified = newest_version(make_verified(claim, user=chief))
    make_status(claim, Status.DISPUTED, note="別の測量では違う。", user=chief)
    restored = services.claim_restore_version(version=verified, user=editor)
    assert (restored.claim, restored.proposals, restored.replaced) == (claim, 1, 0)
    claim.refresh_from_db()
    assert claim.status == Status.DISPUTED  # readers still see the published verdict
    again = services.claim_restore_version(version=verified, user=editor, note="測量を取り違えた。")
    assert (again.proposals, again.replaced) == (1, 1)  # the newer proposal replaces the open one
    proposal = Proposal.objects.open().get()
    assert (proposal.via, proposal.values["status"]) == (Via.RESTORE, Status.VERIFIED)
    services.proposal_approve(proposal=proposal, user=second_chief)
    claim.refresh_from_db()
    row = claim.history.first()
    assert claim.status == Status.VERIFIED
    assert (row.via, row.user, row.approved_by, row.note) == (Via.RESTORE, editor, second_chief, "測量を取り違えた。")


def test_restoring_an_article_text_reanchors_its_claims_with_a_public_note(article, claim, chief):
    with reversion.create_revision():
        reversion.add_to_revision(article)
    version = newest_version(article)
    services.article_update(article=article, user=chief, body=article.body.replace(FUJI, ""), correction_note="削除")
    claim.refresh_from_db()
    assert not claim.is_anchored
    restored = services.article_restore_version(version=version, user=chief, note="削除を取り消した。")
    article.refresh_from_db()
    claim.refresh_from_db()
    assert restored == article and FUJI in article.body
    assert claim.is_anchored and article.body[claim.position :].startswith(FUJI)
    assert ArticleCorrection.objects.filter(article=article).first().note == "削除を取り消した。"
