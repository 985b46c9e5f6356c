"""Claims anchored to their sentences (claims/services/anchoring.py): one claim per place, found
again after an edit, sent back to review when reworded, kept when their sentence goes.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims import services
from claims.models import Claim, StatusChange
from claims.tests.factories import add_evidence, claim_for, make_status, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Claim.Status


def change(claim, to, **kwargs):
    return services.claim_change_status(claim=claim, to=to, via=StatusChange.Via.COMMAND, **kwargs)


def test_two_claims_for_the_same_statement_are_refused(article, claim):
    with pytest.raises(ValidationError, match="already has a claim"):
        services.claim_locate(article=article, statement=claim.statement)
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(article=article, statement=claim.statement, position=claim.position)


def test_a_repeated_sentence_gets_a_claim_at_each_place(article):
    first, second = article.claims.filter(statement="東京は日本の首都です。").order_by("position")
    assert first.position < second.position
    assert first.section == "第一章" and second.section == "第二章"


def test_statement_not_in_the_article_is_refused(article):
    with pytest.raises(ValidationError, match="not a sentence"):
        services.claim_locate(article=article, statement="大阪は日本の首都です。")


def test_create_claims_is_safe_to_run_twice(article):
    count = article.claims.count()
    assert services.article_create_claims(article=article) == []
    assert article.claims.count() == count


def test_not_a_claim_stops_counting_as_undecided_and_is_not_proposed_again(article):
    coverage = services.article_coverage(article)
    assert coverage.undecided == coverage.statements
    question = claim_for(article, "本当でしょうか?")
    services.claims_set_is_claim(claims=[question], is_claim=False)
    after = services.article_coverage(article)
    assert after.undecided == coverage.undecided - 1
    assert after.not_claims == 1
    assert services.article_create_claims(article=article) == []


def test_editing_the_text_moves_claims_with_their_sentence(article, claim):
    add_evidence(claim)
    change(claim, Status.VERIFIED)
    services.article_update(article=article, body="## 序章\n\n新しい最初の文です。\n\n" + article.body)
    claim.refresh_from_db()
    assert claim.is_anchored
    assert article.body[claim.position : claim.position + len(claim.statement)] == "富士山は日本一高い山です。"
    assert claim.status == Status.VERIFIED


def test_a_repeated_sentence_keeps_its_own_claim_after_an_edit(article):
    first, second = article.claims.filter(statement="東京は日本の首都です。").order_by("position")
    services.claims_apply(changes=[services.ClaimChange(claim=second, values={"verdict_note": "二番目"})], via="admin")
    # Insert a paragraph between the two repeats: each claim stays with its own occurrence.
    body = article.body.replace("## 第二章", "挿入された段落です。\n\n## 第二章")
    services.article_update(article=article, body=body)
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.section == "第二章" and first.section == "第一章"
    assert second.position > first.position


def test_a_lightly_edited_sentence_is_found_by_fuzzy_match(article, claim):
    body = article.body.replace("富士山は日本一高い山です。", "富士山は日本で一番高い山です。")
    report = services.article_update(article=article, body=body)
    claim.refresh_from_db()
    assert report.plan.fuzzy == 1 and report.reworded == [claim]
    assert claim.is_anchored and claim.statement == "富士山は日本で一番高い山です。"


def test_a_reworded_verified_sentence_goes_back_to_review_with_one_history_row(article, claim):
    make_status(claim, Status.VERIFIED, note="国土地理院で確認。")
    editor = make_user()
    body = article.body.replace("富士山は日本一高い山です。", "富士山は日本で二番目に高い山です。")
    report = services.article_update(article=article, body=body, user=editor, correction_note="数字を直した。")
    claim.refresh_from_db()
    assert report.reworded == [claim] and not report.moved and not report.unanchored
    assert claim.status == Status.PENDING and claim.statement == "富士山は日本で二番目に高い山です。"
    assert claim.verdict_note == "国土地理院で確認。" and claim.evidence.exists()  # kept for the editor
    row = claim.history.first()
    assert (row.from_status, row.to_status, row.via, row.user) == (
        Status.VERIFIED,
        Status.PENDING,
        StatusChange.Via.ARTICLE,
        editor,
    )
    assert "富士山は日本一高い山です。" in row.note and "富士山は日本で二番目に高い山です。" in row.note
    assert claim.history.count() == 2


def test_a_change_of_width_or_spacing_is_not_a_rewording(article, claim):
    make_status(claim, Status.VERIFIED)
    body = article.body.replace("富士山は日本一高い山です。", "富士山は日本一高い 山です。")
    report = services.article_update(article=article, body=body)
    claim.refresh_from_db()
    assert report.reworded == [] and claim.status == Status.VERIFIED
    assert claim.statement == "富士山は日本一高い 山です。"


def test_a_removed_sentence_leaves_its_claim_unanchored_not_dropped(article, claim):
    body = article.body.replace("富士山は日本一高い山です。", "")
    report = services.article_update(article=article, body=body)
    claim.refresh_from_db()
    assert report.unanchored == [claim]
    assert not claim.is_anchored
    assert claim.statement == "富士山は日本一高い山です。"
    # It is not glued to another sentence, and no other claim lost its place.
    assert article.claims.filter(is_anchored=True).count() == article.claims.count() - 1
