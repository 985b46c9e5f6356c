"""Two-person verdicts: an editor's change to what readers see is a proposal until another chief
editor approves it, on every path; readers see only approved verdicts."""

import datetime
import io

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from claims import services
from claims.csv import exporting
from claims.models import Claim, Proposal, StatusChange
from claims.tests.factories import add_evidence, claim_for, make_status, make_user
from claims.tests.pages import page_form, page_messages, post_data, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.sign_off]
Status = Claim.Status
FUJI = "富士山は日本一高い山です。"
CAPITAL = "東京は日本の首都です。"
OLD_NOTE = "国土地理院の資料で確認した。"
NEW_NOTE = "別の測り方では二番目だという資料がある。"


def ja(message):
    with translation.override("ja"):
        return gettext(message)


@pytest.fixture
def verified_claim(home_article):
    return make_status(claim_for(home_article, FUJI), Status.VERIFIED, note=OLD_NOTE)


def public_pages(claim):
    reader = Client()
    return {
        url: reader.get(url).content.decode()
        for url in ["/", reverse("claims:claim", args=[claim.pk]), "/claims/", "/feed/", "/sitemap.xml"]
    }


def propose_through_the_form(client, claim, **changes):
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    form = page_form(client.get(url), having="status")
    response = client.post(url, post_data(form, **changes), follow=True)
    assert response.status_code == 200
    return response


def test_an_editors_change_is_public_only_after_another_chief_editor_approves_it(verified_claim, editor, chief):
    add_evidence(verified_claim, stance="context", url="https://example.org/other-survey", title="別の測量")
    before = public_pages(verified_claim)
    response = propose_through_the_form(
        signed_in(editor), verified_claim, status=Status.DISPUTED, verdict_note=NEW_NOTE, status_note="別資料"
    )
    assert any("warning" in css and "#" in text for css, text in page_messages(response))
    proposal = Proposal.objects.get()
    assert (proposal.state, proposal.proposed_by, proposal.values["status"]) == ("open", editor, Status.DISPUTED)

    verified_claim.refresh_from_db()
    assert (verified_claim.status, verified_claim.verdict_note) == (
        Status.VERIFIED,
        OLD_NOTE,
    )  # readers' claim untouched
    after = public_pages(verified_claim)
    for url, page in after.items():
        assert NEW_NOTE not in page, url
    assert (
        after[reverse("claims:claim", args=[verified_claim.pk])]
        == before[reverse("claims:claim", args=[verified_claim.pk])]
    )

    # The editor cannot approve; the chief editor can, from the proposal's page.
    page = reverse("admin:claims_proposal_change", args=[proposal.pk])
    assert signed_in(editor).post(page, {"approve": "1", "seen_version": verified_claim.version}).status_code == 403
    chief_client = signed_in(chief)
    review = chief_client.get(page)
    assert NEW_NOTE in review.content.decode() and OLD_NOTE in review.content.decode()
    response = chief_client.post(page, post_data(page_form(review, having="approve"), approve="1"), follow=True)
    assert response.status_code == 200
    verified_claim.refresh_from_db()
    assert (verified_claim.status, verified_claim.verdict_note) == (Status.DISPUTED, NEW_NOTE)
    row = verified_claim.history.first()
    assert (row.from_status, row.to_status, row.user, row.approved_by, row.note) == (
        Status.VERIFIED,
        Status.DISPUTED,
        editor,
        chief,
        "別資料",
    )
    assert verified_claim.history.filter(to_status=Status.DISPUTED).count() == 1
    for url in ["/", reverse("claims:claim", args=[verified_claim.pk])]:
        assert NEW_NOTE in Client().get(url).content.decode(), url
    proposal.refresh_from_db()
    assert (proposal.state, proposal.reviewed_by) == ("approved", chief)


@pytest.mark.parametrize("superuser", [False, True])
def test_nobody_approves_their_own_proposal(verified_claim, chief, superuser):
    author = make_user("root", superuser=True) if superuser else chief
    propose_through_the_form(signed_in(author), verified_claim, verdict_note=NEW_NOTE)
    proposal = Proposal.objects.get()
    page = reverse("admin:claims_proposal_change", args=[proposal.pk])
    response = signed_in(author).post(page, {"approve": "1", "seen_version": verified_claim.version}, follow=True)
    assert ja("Nobody signs off their own proposal: another chief editor must approve it.") in response.content.decode()
    verified_claim.refresh_from_db()
    assert verified_claim.verdict_note == OLD_NOTE and Proposal.objects.get().state == "open"


def test_a_proposal_on_a_claim_changed_since_is_approved_only_after_looking_again(
    verified_claim, editor, chief, second_chief
):
    propose_through_the_form(signed_in(editor), verified_claim, verdict_note=NEW_NOTE)
    proposal = Proposal.objects.get()
    # Meanwhile the claim's verdict changes (a command, signed elsewhere): what the proposal was made against moved on.
    services.claims_apply(
        changes=[services.ClaimChange(claim=verified_claim, values={"as_of": datetime.date(2023, 9, 1)})],
        user=second_chief,
        via="command",
    )
    changelist = reverse("admin:claims_proposal_changelist")
    response = signed_in(chief).post(
        changelist, {"action": "approve_action", "_selected_action": [proposal.pk], "confirm": "yes"}, follow=True
    )
    assert any("error" in css for css, _text in page_messages(response))
    verified_claim.refresh_from_db()
    assert verified_claim.verdict_note == OLD_NOTE
    # From its page, which shows the claim as it is now, it can be approved.
    page = reverse("admin:claims_proposal_change", args=[proposal.pk])
    review = signed_in(chief).get(page)
    stale = ja(
        "The claim was changed after this proposal was made. Compare the proposal with the claim as it is now "
        "(below) before approving."
    )
    assert stale in review.content.decode()
    signed_in(chief).post(page, post_data(page_form(review, having="approve"), approve="1"))
    verified_claim.refresh_from_db()
    assert verified_claim.verdict_note == NEW_NOTE


def test_a_proposal_sent_back_carries_a_comment_the_proposer_sees(verified_claim, editor, chief):
    propose_through_the_form(signed_in(editor), verified_claim, verdict_note=NEW_NOTE)
    proposal = Proposal.objects.get()
    page = reverse("admin:claims_proposal_change", args=[proposal.pk])
    client = signed_in(chief)
    form = page_form(client.get(page), having="send_back")
    client.post(page, post_data(form, comment="出典の日付を書いてください。", send_back="1"))
    proposal.refresh_from_db()
    assert proposal.state == "sent_back" and proposal.review_comment == "出典の日付を書いてください。"
    verified_claim.refresh_from_db()
    assert verified_claim.verdict_note == OLD_NOTE
    mine = signed_in(editor).get(reverse("admin:claims_claim_change", args=[verified_claim.pk])).content.decode()
    assert "出典の日付を書いてください。" in mine


def test_the_bulk_action_makes_proposals(home_article, editor, chief):
    claim = claim_for(home_article, CAPITAL)
    add_evidence(claim)
    client = signed_in(editor)
    changelist = reverse("admin:claims_claim_changelist")
    client.post(
        changelist,
        {"action": "change_status_action", "_selected_action": [claim.pk], "apply": "1", "status": "verified"},
    )
    claim.refresh_from_db()
    assert claim.status == Status.PENDING
    proposal = Proposal.objects.get()
    assert proposal.via == StatusChange.Via.BULK
    services.proposal_approve(proposal=proposal, user=chief)
    claim.refresh_from_db()
    assert claim.status == Status.VERIFIED


def test_an_import_by_a_chief_editor_waits_for_another_chief_editor(verified_claim, chief, second_chief):
    from claims.models import Claim as ClaimModel

    out = io.StringIO(newline="")
    exporting.write_csv(out, exporting.claim_rows(ClaimModel.objects.filter(pk=verified_claim.pk)))
    data = out.getvalue().replace(OLD_NOTE, NEW_NOTE).encode("utf-8")  # write_csv wrote the BOM
    client = signed_in(chief)
    upload = SimpleUploadedFile("desk.csv", data, content_type="text/csv")
    preview = client.post(reverse("admin:claims_claim_import"), {"import_file": upload, "format": "0", "resource": "0"})
    assert preview.status_code == 200, preview
    assert "confirm_form" in preview.context, preview.content.decode()[-3000:]
    response = client.post(
        reverse("admin:claims_claim_process_import"), preview.context["confirm_form"].initial, follow=True
    )
    assert response.status_code == 200
    verified_claim.refresh_from_db()
    assert verified_claim.verdict_note == OLD_NOTE
    proposal = Proposal.objects.get()
    assert proposal.batch and proposal.proposed_by == chief and proposal.via == StatusChange.Via.IMPORT
    with pytest.raises(ValidationError) as refused:
        services.proposal_approve(proposal=proposal, user=chief)
    assert refused.value.code == "own"
    batch = signed_in(second_chief).get(reverse("admin:claims_proposal_changelist"), {"batch": proposal.batch})
    assert str(proposal.pk) in batch.content.decode()
    signed_in(second_chief).post(
        reverse("admin:claims_proposal_changelist"),
        {"action": "approve_action", "_selected_action": [proposal.pk], "confirm": "yes"},
    )
    verified_claim.refresh_from_db()
    assert verified_claim.verdict_note == NEW_NOTE


def test_restoring_a_version_makes_a_proposal(verified_claim, editor, chief):
    from reversion.models import Version

    services.claims_apply(
        changes=[services.ClaimChange(claim=verified_claim, values={"verdict_note": NEW_NOTE})],
        user=chief,
        via="command",
    )
    old = Version.objects.get_for_object(verified_claim).filter(serialized_data__contains=OLD_NOTE).first()
    url = reverse("admin:claims_claim_revision", args=[verified_claim.pk, old.pk])
    client = signed_in(editor)
    client.post(url, post_data(page_form(client.get(url), having="status_note")))
    verified_claim.refresh_from_db()
    assert verified_claim.verdict_note == NEW_NOTE
    proposal = Proposal.objects.get()
    assert proposal.via == StatusChange.Via.RESTORE and proposal.values["verdict_note"] == OLD_NOTE


def test_the_review_queue_counts_what_awaits_sign_off(verified_claim, editor, chief):
    propose_through_the_form(signed_in(editor), verified_claim, verdict_note=NEW_NOTE)
    page = signed_in(chief).get(reverse("admin:claims_reviewqueueitem_changelist"), {"why": "sign_off"})
    text = page.content.decode()
    assert f"{ja('Awaiting sign-off')} (1)" in text and FUJI in text
    coverage = (
        signed_in(chief).get(reverse("admin:claims_article_change", args=[verified_claim.article_id])).content.decode()
    )
    assert f"{ja('Awaiting sign-off')}</a>: 1" in coverage


def test_with_sign_off_off_a_one_person_desk_publishes_at_once(verified_claim, chief, settings):
    settings.CLAIMS_SIGN_OFF = False
    propose_through_the_form(signed_in(chief), verified_claim, verdict_note=NEW_NOTE)
    verified_claim.refresh_from_db()
    assert verified_claim.verdict_note == NEW_NOTE and not Proposal.objects.exists()


def test_the_batch_filter_lists_imports_only_without_an_empty_choice(home_article, verified_claim, editor, chief):
    propose_through_the_form(signed_in(editor), verified_claim, verdict_note=NEW_NOTE)  # one by one: no batch
    other = claim_for(home_article, "最後の文です。")
    Proposal.objects.create(
        claim=other, proposed_by=editor, base_version=other.version, batch="import-2026-12-07", via="import"
    )
    response = signed_in(chief).get(reverse("admin:claims_proposal_changelist"))
    tree = lxml.html.fromstring(response.content.decode())
    [batch_filter] = [
        details
        for details in tree.cssselect("#changelist-filter details")
        if details.get("data-filter-title") == str(Proposal._meta.get_field("batch").verbose_name)
    ]
    choices = [link.text_content().strip() for link in batch_filter.cssselect("li a")]
    assert choices[1:] == ["import-2026-12-07"] and "" not in choices


def test_saving_the_form_under_sign_off_says_proposed_never_changed(verified_claim, editor, chief):
    verified = verified_claim
    client = signed_in(editor)
    url = reverse("admin:claims_claim_change", args=[verified.pk])
    form = page_form(client.get(url), having="status")
    changed = ja("The {name} “{obj}” was changed successfully.").split("”")[-1]  # 「…を変更しました。」

    saved = client.post(url, post_data(form, verdict_note=NEW_NOTE, status_note="書き直し"), follow=True)
    assert saved.redirect_chain[-1][0] == reverse("admin:claims_claim_changelist")
    notices = page_messages(saved)
    assert [css for css, _text in notices] == ["warning"]
    assert changed not in notices[0][1]

    kept = client.post(url, {**post_data(form, verdict_note=NEW_NOTE), "_continue": "1"}, follow=True)
    assert kept.redirect_chain[-1][0] == url
    assert [css for css, _text in page_messages(kept)] == ["warning"]

    # A one-person desk still hears Django's own "changed".
    with override_settings(CLAIMS_SIGN_OFF=False):
        form = page_form(client.get(url), having="status")
        published = client.post(url, post_data(form, verdict_note="地図で高さを確かめ直した。"), follow=True)
    assert any(css == "success" for css, _text in page_messages(published))
