import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from claims import services
from claims.models import EVIDENCE_FIELDS, Claim, Evidence, StatusChange
from claims.tests.factories import add_evidence, claim_for, make_status, make_user

pytestmark = pytest.mark.django_db
Status = Claim.Status


@pytest.fixture(autouse=True)
def english():
    """These tests read the rules' messages in English (Japanese is checked in the admin tests)."""
    with translation.override("en"):
        yield


def change(claim, to, **kwargs):
    return services.claim_change_status(claim=claim, to=to, via=StatusChange.Via.COMMAND, **kwargs)


def test_verified_needs_support(claim):
    add_evidence(claim, stance=Evidence.Stance.CONTEXT)
    with pytest.raises(ValidationError, match="supports"):
        change(claim, Status.VERIFIED)
    claim.refresh_from_db()
    assert claim.status == Status.PENDING
    assert not claim.history.exists()
    add_evidence(claim, stance=Evidence.Stance.SUPPORTS, url="https://example.com/2")
    assert change(claim, Status.VERIFIED)


def test_disputed_needs_contrary_evidence_and_a_note(claim):
    with pytest.raises(ValidationError, match="contrary evidence"):
        change(claim, Status.DISPUTED, verdict_note="出典が見つからない。")
    add_evidence(claim, stance=Evidence.Stance.CONTEXT, url="https://example.com/context")
    with pytest.raises(ValidationError, match="verdict note"):
        change(claim, Status.DISPUTED)
    assert change(claim, Status.DISPUTED, verdict_note="別の資料では二番目とされる。")


def test_unsupported_needs_a_note_saying_what_was_searched(claim):
    with pytest.raises(ValidationError, match="searched"):
        change(claim, Status.UNSUPPORTED)
    assert change(claim, Status.UNSUPPORTED, verdict_note="2026年12月に国土地理院の資料を検索したが見つからなかった。")


def test_the_database_refuses_disputed_or_unsupported_without_a_note(claim):
    for status in (Status.DISPUTED, Status.UNSUPPORTED):
        with pytest.raises(IntegrityError), transaction.atomic():
            Claim.objects.filter(pk=claim.pk).update(status=status)


def test_outdated_needs_as_of_and_note(claim):
    with pytest.raises(ValidationError, match="as of"):
        change(claim, Status.OUTDATED, verdict_note="2026年には変わった。")
    with pytest.raises(ValidationError, match="verdict note"):
        change(claim, Status.OUTDATED, as_of=datetime.date(2023, 9, 1))
    assert change(claim, Status.OUTDATED, verdict_note="2026年には変わった。", as_of=datetime.date(2023, 9, 1))


def test_the_rules_see_what_is_stored_not_the_callers_unsaved_object(claim):
    claim.verdict_note = "保存されていないメモ"  # never saved: the rule must not count it
    claim.as_of = datetime.date(2023, 9, 1)
    with pytest.raises(ValidationError, match="searched"):
        change(claim, Status.UNSUPPORTED)
    with pytest.raises(ValidationError, match="as of"):
        change(claim, Status.OUTDATED)
    claim.refresh_from_db()
    assert claim.status == Status.PENDING and claim.verdict_note == ""


def test_what_the_rule_checked_is_what_is_stored(claim):
    change(claim, Status.UNSUPPORTED, verdict_note="出典が見つからない。")
    claim.refresh_from_db()
    assert (claim.status, claim.verdict_note) == (Status.UNSUPPORTED, "出典が見つからない。")


def test_the_database_refuses_outdated_without_as_of_and_note(claim):
    for values in ({}, {"as_of": datetime.date(2023, 9, 1)}, {"verdict_note": "変わった。"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Claim.objects.filter(pk=claim.pk).update(status=Status.OUTDATED, **values)
    Claim.objects.filter(pk=claim.pk).update(
        status=Status.OUTDATED, as_of=datetime.date(2023, 9, 1), verdict_note="変わった。"
    )


def test_removing_the_last_supporting_link_of_a_verified_claim_is_refused(claim):
    make_status(claim, Status.VERIFIED)
    kept = [{**link, "stance": Evidence.Stance.CONTEXT} for link in claim.evidence.values("pk", *EVIDENCE_FIELDS)]
    for evidence in ([], kept):
        with pytest.raises(ValidationError, match="supports"):
            services.claims_apply(changes=[services.ClaimChange(claim=claim, evidence=evidence)], via="admin")
    claim.refresh_from_db()
    assert claim.status == Status.VERIFIED and claim.evidence.filter(stance="supports").exists()


def test_a_batch_is_all_or_nothing(article, claim):
    other = claim_for(article, "最後の文です。")
    add_evidence(claim)
    changes = [
        services.ClaimChange(claim=claim, values={"status": Status.VERIFIED}),
        services.ClaimChange(claim=other, values={"status": Status.VERIFIED}),  # no support: refused
    ]
    with pytest.raises(services.ChangeRefused) as refused:
        services.claims_apply(changes=changes, via="bulk")
    assert [p.change for p in refused.value.problems] == [changes[1]]
    claim.refresh_from_db()
    assert claim.status == Status.PENDING and not StatusChange.objects.exists()


def test_a_statement_that_is_not_a_claim_takes_no_status(claim):
    services.claims_set_is_claim(claims=[claim], is_claim=False)
    add_evidence(claim)
    with pytest.raises(ValidationError, match="not a claim"):
        change(claim, Status.VERIFIED)


def test_every_change_is_a_version_that_can_be_restored(claim):
    from reversion.models import Version

    make_status(claim, Status.VERIFIED)
    version = Version.objects.get_for_object(claim).first()  # the newest
    assert version.field_dict["status"] == Status.VERIFIED
    assert [v.object_repr for v in version.revision.version_set.exclude(pk=version.pk)] == ["出典"]


def test_a_change_tells_the_page_cache_once(claim, django_assert_num_queries):
    from claims.models import ContentRevision

    before = ContentRevision.objects.get(pk=1).number if ContentRevision.objects.exists() else 0
    add_evidence(claim)
    change(claim, Status.VERIFIED)
    assert ContentRevision.objects.get(pk=1).number == before + 1


def test_unknown_status_is_refused_by_the_rules_and_the_database(claim):
    with pytest.raises(ValidationError, match="Unknown status"):
        change(claim, "true-ish")
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status="true-ish")


def test_every_status_change_writes_exactly_one_history_row(claim):
    user = make_user()
    add_evidence(claim)
    assert change(claim, Status.VERIFIED, note="一次資料で確認", user=user)
    row = claim.history.get()
    assert (row.from_status, row.to_status, row.note, row.user, row.via) == (
        Status.PENDING,
        Status.VERIFIED,
        "一次資料で確認",
        user,
        StatusChange.Via.COMMAND,
    )
    claim.refresh_from_db()
    assert claim.last_checked is not None


def test_a_save_without_a_status_change_writes_no_history(claim):
    assert change(claim, Status.PENDING) is False
    assert services.claims_apply(
        changes=[services.ClaimChange(claim=claim, values={"verdict_note": "メモ"})], via="admin"
    )
    assert not claim.history.exists()


def test_empty_statement_is_refused(article):
    with pytest.raises(ValidationError, match="empty"):
        services.claim_locate(article=article, statement="   ")
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(article=article, statement="", position=999)


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


def test_due_for_recheck(claim):
    claim.recheck_after = datetime.date(2000, 1, 1)
    claim.save()
    assert list(Claim.objects.due_for_recheck()) == [claim]
    assert claim.is_due_for_recheck
    claim.recheck_after = datetime.date(2999, 1, 1)
    claim.save()
    assert not Claim.objects.due_for_recheck().exists()


def test_concurrent_saves_the_later_one_is_refused(claim):
    first = services.ClaimChange(claim=claim, values={"verdict_note": "一"}, expected_version=claim.version)
    later = services.ClaimChange(claim=claim, values={"verdict_note": "二"}, expected_version=claim.version)
    services.claims_apply(changes=[first], via="admin")
    with pytest.raises(services.ConcurrentEditError, match="Another editor"):
        services.claims_apply(changes=[later], via="admin")
    claim.refresh_from_db()
    assert claim.verdict_note == "一"


def test_unsafe_evidence_urls_are_refused(claim):
    for url in ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://example.com/x", "not a url"]:
        evidence = Evidence(claim=claim, url=url, title="x", stance=Evidence.Stance.SUPPORTS)
        with pytest.raises(ValidationError) as error:
            evidence.full_clean()
        assert "url" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(claim=claim, url="javascript:alert(1)", title="x")
