"""Nothing lost: the version history, restoring through the workflow, recovering deletions."""

import pytest
import reversion
from django.urls import reverse
from reversion.models import Version

from claims.models import Article, Claim, Evidence, StatusChange
from claims.roles import EDITORS
from claims.tests.factories import FUJI, SOURCE_LINK, admin_save, ja, make_user, page_data

pytestmark = pytest.mark.django_db
Status = Claim.Status
SOURCE = SOURCE_LINK


def versions_of(obj):
    """The versions saved since the test's setup (a claim's first version is its creation)."""
    versions = list(Version.objects.get_for_object(obj).order_by("pk"))
    return versions[1:] if isinstance(obj, Claim) else versions


def revision_url(claim, version):
    return reverse("admin:claims_claim_revision", args=[claim.pk, version.pk])


def test_each_admin_save_is_a_version_with_the_claim_and_its_evidence(client, signed_in_chief, claim):
    admin_save(client, claim, new_evidence=[SOURCE], status="verified", status_note="確認")
    admin_save(client, claim, verdict_note="国土地理院の資料で確認。")
    versions = versions_of(claim)
    assert len(versions) == 2
    first, second = versions
    assert first.field_dict["status"] == Status.VERIFIED and first.field_dict["verdict_note"] == ""
    assert second.field_dict["verdict_note"] == "国土地理院の資料で確認。"
    assert any(v.object_repr == "国土地理院" for v in first.revision.version_set.all())
    assert first.revision.user == signed_in_chief
    history = client.get(reverse("admin:claims_claim_history", args=[claim.pk])).content.decode()
    assert revision_url(claim, first) in history


def test_viewing_an_old_version_changes_nothing(client, signed_in_chief, claim):
    admin_save(client, claim, verdict_note="最初のメモ")
    admin_save(client, claim, verdict_note="二番目のメモ")
    response = client.get(revision_url(claim, versions_of(claim)[0]))
    assert response.status_code == 200
    assert "最初のメモ" in response.content.decode()
    claim.refresh_from_db()
    assert claim.verdict_note == "二番目のメモ"


def test_restoring_a_version_that_changes_the_status_goes_through_the_workflow(client, signed_in_chief, claim):
    admin_save(client, claim, verdict_note="まだ確認中")  # version 1: pending, no evidence
    admin_save(client, claim, new_evidence=[SOURCE], status="verified", status_note="確認")  # version 2
    assert claim.status == Status.VERIFIED and claim.history.count() == 1
    version_before = claim.version

    url = revision_url(claim, versions_of(claim)[0])
    response = client.post(url, {**page_data(client.get(url)), "status_note": "誤って検証済みにした"})
    assert response.status_code == 302

    claim.refresh_from_db()
    assert claim.status == Status.PENDING
    assert not claim.evidence.exists()  # the evidence added later is gone with the restore
    row = claim.history.first()
    assert (row.from_status, row.to_status, row.via, row.user, row.note) == (
        Status.VERIFIED,
        Status.PENDING,
        StatusChange.Via.RESTORE,
        signed_in_chief,
        "誤って検証済みにした",
    )
    assert claim.history.count() == 2
    assert claim.version > version_before  # the concurrent-edit counter never goes back
    assert versions_of(claim)[-1].field_dict["status"] == Status.PENDING  # the restore is a version too


def test_restoring_a_version_that_breaks_the_rules_is_refused_and_keeps_nothing(client, signed_in_chief, claim):
    # A version saying "verified" without any supporting evidence (as a rule change could leave).
    with reversion.create_revision():
        claim.status = Status.VERIFIED
        claim.verdict_note = "古い版"
        reversion.add_to_revision(claim)
    claim.refresh_from_db()
    url = revision_url(claim, versions_of(claim)[0])
    response = client.post(url, page_data(client.get(url)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "supports the statement" in page or "裏付ける" in page
    claim.refresh_from_db()
    assert claim.status == Status.PENDING and claim.verdict_note == ""
    assert not claim.history.exists()


def test_a_restore_refused_as_a_concurrent_edit_keeps_nothing(client, signed_in_chief, claim):
    admin_save(client, claim, verdict_note="一")
    admin_save(client, claim, verdict_note="二")
    url = revision_url(claim, versions_of(claim)[0])
    data = page_data(client.get(url))
    admin_save(client, claim, verdict_note="三 (別の編集者)")  # someone saves meanwhile
    response = client.post(url, data)
    assert response.status_code == 200
    assert "reload" in response.content.decode() or "再読み込み" in response.content.decode()
    claim.refresh_from_db()
    assert claim.verdict_note == "三 (別の編集者)"


def test_restoring_an_article_text_reanchors_its_claims(client, signed_in_chief, article, claim):
    url = reverse("admin:claims_article_change", args=[article.pk])
    data = page_data(client.get(url))
    client.post(url, data)  # version 1: the text with Fuji
    client.post(url, {**data, "body": article.body.replace(FUJI, ""), "correction_note": "削除"})  # version 2
    claim.refresh_from_db()
    assert not claim.is_anchored

    first = list(Version.objects.get_for_object(article).order_by("pk"))[0]
    revert = reverse("admin:claims_article_revision", args=[article.pk, first.pk])
    response = client.post(revert, {**page_data(client.get(revert)), "status_note": "削除を取り消した。"})
    assert response.status_code == 302
    claim.refresh_from_db()
    article.refresh_from_db()
    assert FUJI in article.body
    assert claim.is_anchored and article.body[claim.position :].startswith(FUJI)


def test_a_deleted_claim_is_recovered_with_its_evidence_and_history(client, signed_in_chief, claim):
    admin_save(client, claim, new_evidence=[SOURCE], status="verified", status_note="確認")
    pk = claim.pk
    response = client.post(reverse("admin:claims_claim_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Claim.objects.filter(pk=pk).exists() and not StatusChange.objects.filter(claim_id=pk).exists()

    recover_list = client.get(reverse("admin:claims_claim_recoverlist"))
    deleted = Version.objects.get_deleted(Claim).get(object_id=str(pk))
    assert reverse("admin:claims_claim_recover", args=[deleted.pk]) in recover_list.content.decode()
    recover = reverse("admin:claims_claim_recover", args=[deleted.pk])
    response = client.post(recover, page_data(client.get(recover)))
    assert response.status_code == 302

    claim = Claim.objects.get(pk=pk)
    assert claim.status == Status.VERIFIED and claim.is_anchored
    assert claim.evidence.get().url == SOURCE["url"]
    # Its own history comes back, under a row that says it was recovered, by whom.
    assert [(h.kind, h.from_status, h.to_status, h.note) for h in claim.history.all()] == [
        ("reinstated", Status.VERIFIED, Status.VERIFIED, ja("Recovered after its deletion.")),
        ("status", Status.PENDING, Status.VERIFIED, "確認"),
    ]
    assert claim.history.first().user == signed_in_chief


def test_a_recovered_claim_whose_sentence_was_claimed_again_comes_back_unanchored(
    client, signed_in_chief, article, claim
):
    admin_save(client, claim, verdict_note="消される")
    pk = claim.pk
    client.post(reverse("admin:claims_claim_delete", args=[pk]), {"post": "yes"})
    from claims import services

    [replacement] = services.article_create_claims(article=article)  # the sentence is proposed again
    deleted = Version.objects.get_deleted(Claim).get(object_id=str(pk))
    recover = reverse("admin:claims_claim_recover", args=[deleted.pk])
    response = client.post(recover, page_data(client.get(recover)))
    assert response.status_code == 302
    recovered = Claim.objects.get(pk=pk)
    replacement.refresh_from_db()
    assert replacement.is_anchored and not recovered.is_anchored
    assert recovered.verdict_note == "消される"


def test_deleting_and_recovering_is_for_chief_editors(client, claim):
    editor = make_user("hanako", groups=[EDITORS])
    client.force_login(editor)
    assert client.post(reverse("admin:claims_claim_delete", args=[claim.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:claims_article_delete", args=[claim.article_id])).status_code == 403
    assert Claim.objects.filter(pk=claim.pk).exists() and Article.objects.exists()


def test_editing_evidence_is_versioned_and_restorable(client, signed_in_chief, claim):
    admin_save(client, claim, new_evidence=[{**SOURCE, "stance": "context"}])
    evidence = claim.evidence.get()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = page_data(client.get(url))
    data["evidence-0-title"] = "書き換えた題"
    client.post(url, data)
    assert Evidence.objects.get(pk=evidence.pk).title == "書き換えた題"
    revert = revision_url(claim, versions_of(claim)[0])
    client.post(revert, page_data(client.get(revert)))
    assert Evidence.objects.get(pk=evidence.pk).title == "国土地理院"


def test_the_claim_list_links_to_import_export_and_recovering_deleted_claims(client, signed_in_chief):
    page = client.get(reverse("admin:claims_claim_changelist")).content.decode()
    assert reverse("admin:claims_claim_recoverlist") in page
    assert reverse("admin:claims_claim_import") in page and reverse("admin:claims_claim_export") in page
