"""Approving or sending back many proposals at once: a confirmation page, a job for the task worker,
its page while it runs and what came of it; every proposal through the sign-off services."""

import datetime

import lxml.html
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from claims import services
from claims.models import Claim, Proposal, ProposalJob, StatusChange
from claims.roles import CHIEF_EDITORS
from claims.tests.factories import make_article, make_user, run_tasks
from claims.tests.pages import page_form, post_data, signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.sign_off]
Status = Claim.Status
CHANGELIST = "admin:claims_proposal_changelist"
BATCH = "desk.csv 2026-12-07"


def ja(message, count=None, plural=""):
    """The Japanese an editor reads (the admin's language), with ``count`` for a plural."""
    with translation.override("ja"):
        if count is None:
            return gettext(message)
        return ngettext(message, plural, count) % {"counter": count}


def about_to_approve(count):
    return ja(
        "You are about to approve %(counter)s proposal.", count, "You are about to approve %(counter)s proposals."
    )


def html(response):
    return lxml.html.fromstring(response.content.decode())


def text_of(response, selector):
    return " ".join(" ".join(e.text_content().split()) for e in html(response).cssselect(selector))


@pytest.fixture(autouse=True)
def small_threshold(settings):
    settings.CLAIMS_SIGN_OFF_BACKGROUND = 3


@pytest.fixture
def proposer():
    return make_user("hanako", groups=[CHIEF_EDITORS])


@pytest.fixture
def approver():
    return make_user("taro", groups=[CHIEF_EDITORS])


def sentences(count):
    return "## 第一章\n\n" + "".join(f"調査{i}の結果は{i}点でした。" for i in range(count)) + "\n"


def propose(claims, user, *, batch=BATCH):
    """One import batch: the first claims proposed unsupported, the last outdated."""
    changes = []
    for n, claim in enumerate(claims):
        values = {"status": Status.UNSUPPORTED, "verdict_note": f"資料{n}を探したが見つからなかった。"}
        if n == len(claims) - 1:
            values = {
                "status": Status.OUTDATED,
                "verdict_note": "数字が更新された。",
                "as_of": datetime.date(2024, 1, 1),
            }
        changes.append(services.ClaimChange(claim=claim, values=values))
    services.claims_apply(changes=changes, user=user, via=StatusChange.Via.IMPORT, propose=True, batch=batch)
    return list(Proposal.objects.open().filter(batch=batch).order_by("pk"))


@pytest.fixture
def batch(proposer):
    article = make_article(body=sentences(6))
    return propose(list(Claim.objects.filter(article=article).order_by("position")), proposer)


def progress(response):
    (bar,) = html(response).cssselect(".proposal-job-facts progress")
    return bar.get("value"), bar.get("max")


def choose_all(client, action, proposals):
    """The changelist filtered to the batch, "select all" and the action, as the browser posts it."""
    url = reverse(CHANGELIST) + f"?batch={BATCH}"
    listing = client.get(url)
    assert listing.status_code == 200
    assert len(html(listing).cssselect("input[name=_selected_action]")) == len(proposals)
    data = {"action": action, "select_across": "1", "index": "0", "_selected_action": [p.pk for p in proposals]}
    return url, client.post(url, data)


def test_approving_a_batch_asks_then_runs_in_the_background(batch, proposer, approver):
    client = signed_in(approver)
    url, confirmation = choose_all(client, "approve_action", batch)

    assert confirmation.status_code == 200
    assert about_to_approve(6) in text_of(confirmation, ".proposal-batch-total")
    rows = [
        [cell.text_content().strip() for cell in row.cssselect("td")]
        for row in html(confirmation).cssselect(".proposal-batch-statuses tbody tr")
    ]
    assert sorted(rows) == sorted([[str(Status.UNSUPPORTED.label), "5"], [str(Status.OUTDATED.label), "1"]])
    assert not ProposalJob.objects.exists() and Proposal.objects.open().count() == 6

    job_page = client.post(url, post_data(page_form(confirmation, having="confirm"), confirm="yes"), follow=True)

    assert job_page.status_code == 200
    job = ProposalJob.objects.get()
    assert job_page.redirect_chain[-1][0] == job.get_absolute_url()
    assert html(job_page).cssselect('meta[http-equiv="refresh"]'), "a running job's page refreshes itself"
    assert progress(job_page) == ("0", "6")
    assert Claim.objects.filter(status=Status.UNSUPPORTED).count() == 0, "nothing approved before the worker runs"

    assert run_tasks() == 1

    done = client.get(job.get_absolute_url())
    assert not html(done).cssselect('meta[http-equiv="refresh"]')
    assert progress(done) == ("6", "6")
    assert text_of(done, ".proposal-job-succeeded") == "6"
    assert text_of(done, ".proposal-job-refused") == "0"
    assert Claim.objects.filter(status=Status.UNSUPPORTED).count() == 5
    assert Claim.objects.filter(status=Status.OUTDATED).count() == 1
    assert set(Proposal.objects.values_list("state", "reviewed_by")) == {(Proposal.State.APPROVED, approver.pk)}
    history = StatusChange.objects.filter(claim__proposals__in=batch).distinct()
    assert history.count() == 6 and {h.user_id for h in history} == {proposer.pk}


def test_the_job_lists_what_it_refused_and_why(batch, proposer, approver):
    # Approver's own proposal for one more claim, and a claim saved after its proposal was made.
    extra = make_article(slug="second", body=sentences(2))
    own = propose(list(Claim.objects.filter(article=extra)), approver, batch="second.csv")
    stale = batch[0]
    services.claims_apply(
        # Its verdict changes meanwhile (an "as of" date): what the proposal was made against moved on.
        changes=[services.ClaimChange(claim=stale.claim, values={"as_of": datetime.date(2023, 9, 1)})],
        user=proposer,
        via=StatusChange.Via.ADMIN,
        propose=False,
    )
    reviewed = propose(
        list(Claim.objects.filter(article=make_article(slug="third", body=sentences(2)))), proposer, batch="old.csv"
    )
    for proposal in reviewed:
        services.proposal_send_back(proposal=proposal, user=approver, comment="出典が足りません。")
    client = signed_in(approver)
    url = reverse(CHANGELIST)
    chosen = Proposal.objects.all()
    data = {"action": "approve_action", "select_across": "1", "index": "0", "_selected_action": [chosen[0].pk]}
    confirmation = client.post(url, data)
    assert about_to_approve(8) in text_of(confirmation, ".proposal-batch-total")
    assert str(len(reviewed)) in text_of(confirmation, ".proposal-batch-left-out")
    client.post(url, post_data(page_form(confirmation, having="confirm"), confirm="yes"))
    run_tasks()

    result = client.get(ProposalJob.objects.get().get_absolute_url())

    assert text_of(result, ".proposal-job-succeeded") == "5"
    assert text_of(result, ".proposal-job-refused") == "3"
    refusals = {
        row.cssselect("td")[0].text_content().strip(): row.cssselect("td")[1].text_content().strip()
        for row in html(result).cssselect(".proposal-job-refusals tbody tr")
    }
    assert set(refusals) == {f"#{own[0].pk}", f"#{own[1].pk}", f"#{stale.pk}"}
    assert ja("Nobody signs off their own proposal: another chief editor must approve it.") in refusals[f"#{own[0].pk}"]
    assert (
        ja(
            "The claim was changed after this proposal was made. Open the proposal, look at it against the claim as it "
            "is now, and approve it from there."
        )
        in refusals[f"#{stale.pk}"]
    )
    assert set(Proposal.objects.open()) == {*own, stale}


def test_sending_a_batch_back_needs_a_comment_and_runs_in_the_background(batch, approver):
    client = signed_in(approver)
    url, confirmation = choose_all(client, "send_back_action", batch)
    assert "6" in text_of(confirmation, ".proposal-batch-total")

    missing = client.post(url, post_data(page_form(confirmation, having="confirm"), confirm="yes"))
    assert missing.status_code == 200 and html(missing).cssselect(".errorlist")
    assert not ProposalJob.objects.exists()

    form = post_data(page_form(missing, having="confirm"), confirm="yes", comment="出典を足してください。")
    client.post(url, form, follow=True)
    run_tasks()

    result = client.get(ProposalJob.objects.get().get_absolute_url())
    assert text_of(result, ".proposal-job-succeeded") == "6"
    assert set(Proposal.objects.values_list("state", "review_comment")) == {
        (Proposal.State.SENT_BACK, "出典を足してください。")
    }
    assert not Claim.objects.exclude(status=Status.PENDING).exists()


def test_a_selection_within_the_threshold_is_approved_in_the_request(batch, approver, settings):
    settings.CLAIMS_SIGN_OFF_BACKGROUND = 10
    client = signed_in(approver)
    url, confirmation = choose_all(client, "approve_action", batch)
    assert confirmation.status_code == 200 and not Proposal.objects.filter(state="approved").exists()
    assert len(html(confirmation).cssselect(".proposal-preview")) == len(batch)  # each as readers will see it
    response = client.post(url, post_data(page_form(confirmation, having="confirm"), confirm="yes"))
    assert response.status_code == 302
    assert not ProposalJob.objects.exists()
    assert not Proposal.objects.open().exists()


def test_an_editor_cannot_see_a_job(batch, approver):
    from claims.roles import EDITORS

    client = signed_in(approver)
    url, confirmation = choose_all(client, "approve_action", batch)
    client.post(url, post_data(page_form(confirmation, having="confirm"), confirm="yes"))
    editor = signed_in(make_user("jiro", groups=[EDITORS]))
    assert editor.get(ProposalJob.objects.get().get_absolute_url()).status_code == 403


@pytest.mark.parametrize("size", [5, 50])
def test_the_proposals_list_runs_the_same_queries_whatever_the_number(size, django_assert_max_num_queries, approver):
    proposer = make_user("hanako", groups=[CHIEF_EDITORS])
    article = make_article(body=sentences(size))
    propose(list(Claim.objects.filter(article=article)), proposer)
    client = signed_in(approver)
    with django_assert_max_num_queries(10):
        listing = client.get(reverse(CHANGELIST))
    with django_assert_max_num_queries(10):
        batch = client.get(reverse(CHANGELIST), {"batch": BATCH})
    assert len(html(listing).cssselect("input[name=_selected_action]")) == size
    assert len(html(batch).cssselect("input[name=_selected_action]")) == size
