"""No side doors around sign-off: not-a-claim, deleting, recovering, restoring, the bulk actions and
the import all wait for a second person; a withdrawn claim's address explains itself; every entry
point says what it did in sign-off terms. Through the rendered admin, as an Editor and a Chief editor."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from lxml import html
from reversion.models import Version

from claims import services
from claims.csv import exporting
from claims.models import Claim, Evidence, Proposal, Snapshot, StatusChange, Withdrawal
from claims.tests.factories import add_evidence, claim_for, ja, make_status, make_user
from claims.tests.pages import page_form, page_messages, post_data, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.sign_off]
Status = Claim.Status
FUJI = "富士山は日本一高い山です。"
CAPITAL = "東京は日本の首都です。"
OLD_NOTE = "国土地理院の資料で確認した。"
NEW_NOTE = "別の測り方では二番目だという資料がある。"


def csv_text():
    out = io.StringIO()
    exporting.write_csv(out, exporting.claim_rows(Claim.objects.all()))
    return out.getvalue()


@pytest.fixture
def verified_claim(home_article):
    return make_status(claim_for(home_article, FUJI), Status.VERIFIED, note=OLD_NOTE)


def claim_page(pk):
    return Client().get(reverse("claims:claim", args=[pk]))


def approve_from_its_page(client, proposal):
    page = reverse("admin:claims_proposal_change", args=[proposal.pk])
    review = client.get(page)
    assert review.status_code == 200
    response = client.post(page, post_data(page_form(review, having="approve"), approve="1"), follow=True)
    assert response.status_code == 200
    return response


def run_action(client, changelist, action, pks, **extra):
    """An admin action as the browser runs it: the list's form, then its confirmation page if any."""
    response = client.post(changelist, {"action": action, "_selected_action": pks, **extra}, follow=True)
    assert response.status_code == 200
    return response


def test_an_editor_marking_a_verdict_not_a_claim_files_a_proposal_and_approval_withdraws_it(
    verified_claim, editor, chief
):
    changelist = reverse("admin:claims_claim_changelist")
    response = run_action(signed_in(editor), changelist, "mark_not_claim_action", [verified_claim.pk])
    said = " ".join(text for _css, text in page_messages(response))
    assert (
        ja(
            "%(count)d change was saved as a proposal. It is published once another chief editor approves it.",
            "%(count)d changes were saved as proposals. They are published once another chief editor approves them.",
            1,
        )
        % {"count": 1}
        in said
    )
    verified_claim.refresh_from_db()
    assert verified_claim.is_claim and claim_page(verified_claim.pk).status_code == 200  # nothing readers see changed
    proposal = Proposal.objects.get()
    assert proposal.values == {"is_claim": False} and proposal.proposed_by == editor

    approve_from_its_page(signed_in(chief), proposal)
    page = claim_page(verified_claim.pk)
    assert page.status_code == 410
    text = html.fromstring(page.content.decode()).text_content()
    assert ja("This claim was withdrawn") in text and OLD_NOTE in text and FUJI in text
    corrections = Client().get(reverse("claims:corrections")).content.decode()
    assert f'href="/claims/{verified_claim.pk}/"' in corrections and ja("Claim withdrawn") in corrections
    feed = Client().get("/feed/").content.decode()
    assert f"/claims/{verified_claim.pk}/" in feed
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.user, withdrawal.approved_by, withdrawal.status) == (editor, chief, Status.VERIFIED)
    row = verified_claim.history.first()
    assert (row.kind, row.user, row.approved_by) == ("withdrawn", editor, chief)
    # The badge left the article.
    assert (
        f'id="claim-{verified_claim.pk}"'
        not in Client().get(verified_claim.article.get_absolute_url()).content.decode()
    )


def test_unticking_is_a_claim_in_the_form_is_a_proposal_too(verified_claim, editor):
    client = signed_in(editor)
    url = reverse("admin:claims_claim_change", args=[verified_claim.pk])
    form = page_form(client.get(url), having="status")
    data = post_data(form)
    data.pop("is_claim", None)
    assert client.post(url, data, follow=True).status_code == 200
    verified_claim.refresh_from_db()
    assert verified_claim.is_claim and Proposal.objects.get().values == {"is_claim": False}


def test_deleting_is_a_proposal_and_its_approval_leaves_a_withdrawn_page(verified_claim, chief, second_chief):
    client = signed_in(chief)
    delete = reverse("admin:claims_claim_delete", args=[verified_claim.pk])
    assert client.get(delete).status_code == 200
    response = client.post(delete, {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert Claim.objects.filter(pk=verified_claim.pk).exists() and claim_page(verified_claim.pk).status_code == 200
    proposal = Proposal.objects.get()
    assert proposal.action == "delete"
    # Not by the proposer, even a chief editor.
    with pytest.raises(ValidationError):
        services.proposal_approve(proposal=proposal, user=chief)
    approve_from_its_page(signed_in(second_chief), proposal)
    assert not Claim.objects.filter(pk=verified_claim.pk).exists()
    assert claim_page(verified_claim.pk).status_code == 410
    withdrawal = Withdrawal.objects.get()
    assert (withdrawal.reason, withdrawal.user, withdrawal.approved_by) == ("deleted", chief, second_chief)
    assert Proposal.objects.get().state == "approved"


def test_a_claim_whose_sources_were_saved_can_be_deleted_and_recovered(home_article, chief, second_chief):
    # A saved copy (even a failed fetch's, as on a machine with no network) used to make the admin
    # refuse the deletion: the copies' admin is read-only, so "no right to delete 保存版".
    claim = make_status(claim_for(home_article, CAPITAL), Status.VERIFIED, note="首都だ。")
    Snapshot.objects.create(evidence=claim.evidence.get(), url=claim.evidence.get().url, error="名前解決に失敗")
    client = signed_in(chief)
    delete = reverse("admin:claims_claim_delete", args=[claim.pk])
    page = html.fromstring(client.get(delete).content.decode())
    assert page.cssselect('input[name="post"]'), " ".join(page.text_content().split())[:300]
    assert client.post(delete, {"post": "yes"}).status_code == 302
    approve_from_its_page(signed_in(second_chief), Proposal.objects.get(action="delete"))
    assert claim_page(claim.pk).status_code == 410 and not Snapshot.objects.exists()
    snapshot = Withdrawal.objects.get(claim_pk=claim.pk).snapshot_version_id
    services.claim_recover_version(version_id=snapshot, user=chief, propose=False)
    assert claim_page(claim.pk).status_code == 200 and Claim.objects.get(pk=claim.pk).evidence.count() == 1


def test_the_bulk_delete_action_files_proposals_and_says_so(home_article, verified_claim, chief):
    other = make_status(claim_for(home_article, CAPITAL), Status.VERIFIED, note="首都だ。")
    changelist = reverse("admin:claims_claim_changelist")
    client = signed_in(chief)
    confirm = run_action(client, changelist, "delete_selected", [verified_claim.pk, other.pk])
    assert html.fromstring(confirm.content.decode()).cssselect('input[name="post"]')
    response = run_action(client, changelist, "delete_selected", [verified_claim.pk, other.pk], post="yes")
    said = " ".join(text for _css, text in page_messages(response))
    assert "2" in said and ja("See the batch.") not in said
    assert Claim.objects.filter(pk__in=[verified_claim.pk, other.pk]).count() == 2
    assert Proposal.objects.filter(action="delete").count() == 2


def test_recovering_needs_the_delete_permission_and_a_deletion_snapshot(verified_claim, editor, chief, second_chief):
    add_evidence(verified_claim, url="https://example.org/gsi", title="国土地理院")
    links = verified_claim.evidence.count()
    services.claims_delete(claims=[verified_claim], user=chief, approved_by=second_chief, propose=False)
    snapshot = Withdrawal.objects.get().snapshot_version_id
    recover = reverse("admin:claims_claim_recover", args=[snapshot])
    assert signed_in(editor).get(recover).status_code == 403
    # Any other version (an evidence link's) is a clear 404, never a 500.
    other = Version.objects.exclude(pk=snapshot).filter(content_type__model="evidence").first()
    assert other is not None
    assert signed_in(chief).get(reverse("admin:claims_claim_recover", args=[other.pk])).status_code == 404
    assert signed_in(chief).get(reverse("admin:claims_claim_recover", args=[999999])).status_code == 404

    client = signed_in(chief)
    response = client.post(recover, post_data(page_form(client.get(recover), having="status_note")), follow=True)
    assert response.status_code == 200
    assert not Claim.objects.filter(pk=verified_claim.pk).exists()  # a proposal only
    proposal = Proposal.objects.get(action="recover")
    approve_from_its_page(signed_in(second_chief), proposal)
    recovered = Claim.objects.get(pk=verified_claim.pk)
    assert recovered.status == Status.VERIFIED and recovered.evidence.count() == links
    row = recovered.history.first()
    assert (row.kind, row.user, row.approved_by) == ("reinstated", chief, second_chief)
    assert claim_page(verified_claim.pk).status_code == 200


def test_import_claims_under_sign_off_needs_a_staff_user(verified_claim, chief, tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text(csv_text(), encoding="utf-8")
    with pytest.raises(CommandError, match="--user"):
        call_command("import_claims", str(path), stdout=io.StringIO())
    reader = make_user("reader")
    reader.is_staff = False
    reader.save()
    with pytest.raises(CommandError):
        call_command("import_claims", str(path), user="reader", stdout=io.StringIO())


def test_import_claims_counts_proposals_alike_in_the_dry_run_and_the_import(
    verified_claim, chief, tmp_path, monkeypatch
):
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")  # the command speaks the terminal's language
    add_evidence(verified_claim, stance="context", url="https://example.org/other", title="別資料")
    data = csv_text()
    data = data.replace(",verified,", ",disputed,").replace(OLD_NOTE, NEW_NOTE)
    path = tmp_path / "claims.csv"
    path.write_text(data, encoding="utf-8")
    dry, real = io.StringIO(), io.StringIO()
    call_command("import_claims", str(path), user="taro", dry_run=True, stdout=dry)
    call_command("import_claims", str(path), user="taro", stdout=real)
    summary = ja(
        "%(new)d new, %(updated)d updated, %(proposed)d proposed (published once another chief editor "
        "approves), %(unchanged)d unchanged."
    ) % {"new": 0, "updated": 0, "proposed": 1, "unchanged": Claim.objects.count() - 1}
    assert summary in dry.getvalue() and summary in real.getvalue()
    assert Proposal.objects.get().proposed_by == chief


def test_the_bulk_status_action_reports_the_proposals_it_filed_and_what_they_replaced(
    home_article, verified_claim, editor
):
    claims = [verified_claim] + [
        make_status(claim_for(home_article, sentence), Status.VERIFIED, note="確認。")
        for sentence in [CAPITAL, "最後の文です。"]
    ]
    for item in claims:
        add_evidence(item, stance="context", url=f"https://example.org/{item.pk}", title="別資料")
    changelist = reverse("admin:claims_claim_changelist")
    client = signed_in(editor)
    pks = [c.pk for c in claims]
    run_action(client, changelist, "change_status_action", pks[:1], apply="1", status="unsupported", verdict_note="a")
    response = run_action(
        client, changelist, "change_status_action", pks, apply="1", status="disputed", verdict_note=NEW_NOTE
    )
    said = " ".join(text for _css, text in page_messages(response))
    proposed = ja(
        "%(count)d change was saved as a proposal. It is published once another chief editor approves it.",
        "%(count)d changes were saved as proposals. They are published once another chief editor approves them.",
        3,
    ) % {"count": 3}
    assert proposed in said
    assert (
        ja(
            "It replaces %(count)d open proposal for the same claim.",
            "They replace %(count)d open proposals for the same claims.",
            1,
        )
        % {"count": 1}
        in said
    )
    assert ja("No claim changed status.") not in said
    assert Proposal.objects.open().count() == 3


def test_a_new_verdict_that_keeps_the_old_note_is_refused_on_every_path(verified_claim, editor, chief):
    add_evidence(verified_claim, stance="context", url="https://example.org/other", title="別資料")
    rule = ja(
        "A new verdict needs a verdict note written for it: the note was written for the previous "
        "verdict (%(before)s). Say what the new verdict (%(after)s) rests on."
    ) % {"before": ja("Verified"), "after": ja("Disputed")}
    # The form.
    client = signed_in(editor)
    url = reverse("admin:claims_claim_change", args=[verified_claim.pk])
    response = client.post(url, post_data(page_form(client.get(url), having="status"), status="disputed"))
    assert rule in response.content.decode()
    # The bulk action, without a note.
    changelist = reverse("admin:claims_claim_changelist")
    response = run_action(client, changelist, "change_status_action", [verified_claim.pk], apply="1", status="disputed")
    assert rule in " ".join(text for _css, text in page_messages(response))
    # A CSV row.
    data = csv_text().replace(",verified,", ",disputed,")
    report = services_import(data, chief)
    assert any(rule in error.message and error.column == "verdict_note" for error in report.errors)
    assert not Proposal.objects.exists()
    # Back to pending keeps the note: allowed.
    assert not services.claims_check(
        changes=[services.ClaimChange(claim=verified_claim, values={"status": "pending"})]
    ).problems


def services_import(data, user):
    from claims.csv import importing

    return importing.import_bytes(data.encode("utf-8"), user=user)


def test_lengthening_one_sentence_leaves_the_other_claims_proposals_and_history_alone(
    home_article, chief, second_chief
):
    sentences = [FUJI, CAPITAL, "最後の文です。"]
    claims = [
        make_status(claim_for(home_article, s), Status.VERIFIED, note=f"確認{i}。") for i, s in enumerate(sentences)
    ]
    for item in claims:
        add_evidence(item, stance="context", url=f"https://example.org/{item.pk}", title="別資料")
    changes = [
        services.ClaimChange(claim=c, values={"status": "disputed", "verdict_note": f"異論{c.pk}。"}) for c in claims
    ]
    services.claims_apply(changes=changes, user=chief, via=StatusChange.Via.BULK)
    versions_before = Version.objects.filter(content_type__model="claim").count()
    history_before = {c.pk: c.history.count() for c in claims[1:]}
    # The first sentence gets longer: every claim after it moves.
    services.article_update(
        article=home_article,
        user=chief,
        body=home_article.body.replace(FUJI, "富士山は、日本一高い山です。"),
        correction_note="読点",
    )
    assert Version.objects.filter(content_type__model="claim").count() - versions_before <= 1
    # Only the reworded claim got a version and a history row; the claims that merely moved got neither.
    assert {c.pk: c.history.count() for c in claims[1:]} == history_before
    changelist = reverse("admin:claims_proposal_changelist")
    others = list(Proposal.objects.open().exclude(claim=claims[0]).values_list("pk", flat=True))
    client = signed_in(second_chief)
    confirmation = run_action(client, changelist, "approve_action", others)
    # Asked first, each shown as readers will see it once approved.
    assert len(html.fromstring(confirmation.content.decode()).cssselect(".proposal-preview")) == 2
    run_action(client, changelist, "approve_action", others, confirm="yes")
    assert Proposal.objects.filter(pk__in=others, state="approved").count() == 2


def test_a_reworded_claims_old_verdict_can_be_proposed_again(home_article, verified_claim, chief, second_chief):
    add_evidence(verified_claim, url="https://example.org/gsi", title="国土地理院")
    version = Version.objects.get_for_object(verified_claim).order_by("-pk").first()
    services.article_update(
        article=home_article,
        user=chief,
        body=home_article.body.replace(FUJI, "富士山は日本で最も高い山です。"),
        correction_note="言い換え",
    )
    verified_claim.refresh_from_db()
    assert verified_claim.status == Status.PENDING  # the rewording sent it back to review
    client = signed_in(chief)
    url = reverse("admin:claims_claim_revision", args=[verified_claim.pk, version.pk])
    page = client.get(url)
    assert page.status_code == 200 and "verdict_only" in page.content.decode()
    response = client.post(url, post_data(page_form(page, having="status_note"), verdict_only="on"), follow=True)
    assert response.status_code == 200
    proposal = Proposal.objects.get()
    assert proposal.values["status"] == Status.VERIFIED and "富士山は日本一高い山です。" in proposal.note
    approve_from_its_page(signed_in(second_chief), proposal)
    verified_claim.refresh_from_db()
    assert (verified_claim.status, verified_claim.statement) == (Status.VERIFIED, "富士山は日本で最も高い山です。")


def test_the_proposal_page_shows_the_note_readers_will_read_and_no_raw_values(verified_claim, editor, chief):
    add_evidence(verified_claim, stance="context", url="https://example.org/other", title="別の測量")
    links = Evidence.objects.count()
    client = signed_in(editor)
    url = reverse("admin:claims_claim_change", args=[verified_claim.pk])
    client.post(url, post_data(page_form(client.get(url), having="status"), status="disputed", verdict_note=NEW_NOTE))
    proposal = Proposal.objects.get()
    page = signed_in(chief).get(reverse("admin:claims_proposal_change", args=[proposal.pk]))
    tree = html.fromstring(page.content.decode())
    sides = tree.cssselect(".proposal-side")
    assert len(sides) == 2
    assert OLD_NOTE in sides[0].text_content() and NEW_NOTE in sides[1].text_content()
    assert sides[1].cssselect(".status-disputed") and sides[1].cssselect(".evidence-title")
    assert tree.cssselect(".note-diff ins")
    assert "context |" not in page.content.decode() and "https://example.org/other |" not in page.content.decode()
    assert Evidence.objects.count() == links
