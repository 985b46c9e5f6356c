"""What each status needs (claims/services/rules.py), checked on the values that will be stored, and
the database's own constraints behind the rules.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims import services
from claims.models import EVIDENCE_FIELDS, Claim, Evidence, StatusChange
from claims.tests.factories import add_evidence, make_status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Claim.Status


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


def test_a_statement_that_is_not_a_claim_takes_no_status(claim):
    services.claims_set_is_claim(claims=[claim], is_claim=False)
    add_evidence(claim)
    with pytest.raises(ValidationError, match="not a claim"):
        change(claim, Status.VERIFIED)


def test_unknown_status_is_refused_by_the_rules_and_the_database(claim):
    with pytest.raises(ValidationError, match="Unknown status"):
        change(claim, "true-ish")
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status="true-ish")


def test_empty_statement_is_refused(article):
    with pytest.raises(ValidationError, match="empty"):
        services.claim_locate(article=article, statement="   ")
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(article=article, statement="", position=999)


def test_unsafe_evidence_urls_are_refused(claim):
    for url in ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://example.com/x", "not a url"]:
        evidence = Evidence(claim=claim, url=url, title="x", stance=Evidence.Stance.SUPPORTS)
        with pytest.raises(ValidationError) as error:
            evidence.full_clean()
        assert "url" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(claim=claim, url="javascript:alert(1)", title="x")
