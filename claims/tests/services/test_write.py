"""Writing a change (claims/services/write.py): all or nothing, one history row per status change,
a version per change, one signal to the page cache, and the later of two concurrent saves refused.
"""

import datetime

import pytest

from claims import services
from claims.models import Claim, StatusChange
from claims.tests.factories import add_evidence, claim_for, make_status, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Claim.Status


def change(claim, to, **kwargs):
    return services.claim_change_status(claim=claim, to=to, via=StatusChange.Via.COMMAND, **kwargs)


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
