"""Accountability to readers: the corrections log, corrections to an article's text, readers' reports."""

import io
import json
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from claims import services
from claims.models import ArticleCorrection, Claim, Report, StatusChange
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import add_evidence, claim_for, make_status, make_user
from claims.tests.pages import page_form, post_data

pytestmark = pytest.mark.django_db
Status = Claim.Status
FUJI = "富士山は日本一高い山です。"
QUESTION = "本当でしょうか?"
SCRIPT = "<script>alert('x')</script><b>太字</b>"


def ja(message):
    with translation.override("ja"):
        return gettext(message)


@pytest.fixture(autouse=True)
def no_rate_left_over():
    cache.clear()


@pytest.fixture
def verified_claim(home_article):
    return make_status(claim_for(home_article, FUJI), Status.VERIFIED, note="国土地理院で確認。")


def reader(address="203.0.113.7"):
    return Client(raise_request_exception=False, REMOTE_ADDR=address)


def send_report(client, query, **fields):
    url = reverse("claims:report") + query
    form = page_form(client.get(url), having="message")
    return client.post(url, post_data(form, **fields))


def json_ld(html):
    return [
        json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]


def test_a_reader_reports_an_error_in_a_claim_and_it_is_stored_as_text(verified_claim):
    client = reader()
    response = send_report(
        client,
        f"?claim={verified_claim.pk}",
        message=SCRIPT,
        source_url="https://example.org/survey",
        contact="r@example.org",
    )
    assert response.status_code == 200
    thanks = ja(
        "Thank you: your report has reached the editors. What happens next: "
        '<a href="%(policy)s">corrections policy</a>.'
    )
    assert thanks.split("<a")[0] in response.content.decode()
    assert "r@example.org" not in response.content.decode()  # never shown back
    report = Report.objects.get()
    assert (report.claim, report.message, report.contact, report.state) == (
        verified_claim,
        SCRIPT,
        "r@example.org",
        "received",
    )
    page = reader().get(reverse("claims:claim", args=[verified_claim.pk])).content.decode()
    assert "<script>alert" not in page
    assert "r@example.org" not in page
    assert reverse("claims:report") + f"?claim={verified_claim.pk}" in page


def test_a_reader_suggests_a_sentence_that_has_no_claim(home_article, verified_claim):
    client = reader()
    url = reverse("claims:report") + f"?article={home_article.slug}"
    question = next(c for c in home_article.claims.all() if c.statement == QUESTION)
    services.claims_set_is_claim(claims=[question], is_claim=False)  # no badge on it
    form = page_form(client.get(url), having="sentence")
    choices = form["__selects__"]["sentence"]
    assert str(verified_claim.position) not in choices  # a sentence with a claim is reported from its claim's page
    client.post(url, post_data(form, sentence=str(question.position), message="これも確認してほしい。"))
    report = Report.objects.get()
    assert report.claim is None and report.sentence == QUESTION and report.article == home_article


def test_the_sixth_report_in_an_hour_is_refused_politely(verified_claim):
    client = reader("198.51.100.9")
    for _n in range(5):
        assert send_report(client, f"?claim={verified_claim.pk}", message="誤りがあります。").status_code == 200
    sixth = send_report(client, f"?claim={verified_claim.pk}", message="六通目。")
    assert sixth.status_code == 429 and 0 < int(sixth["Retry-After"]) <= 3600
    assert "<h1" in sixth.content.decode()  # the site's page with the reason, not an error page
    assert Report.objects.count() == 5
    assert send_report(reader("198.51.100.10"), f"?claim={verified_claim.pk}", message="別の人。").status_code == 200


def test_bots_that_fill_the_hidden_field_and_unsafe_sources_store_nothing(verified_claim):
    send_report(reader(), f"?claim={verified_claim.pk}", message="spam", website="http://spam.example")
    refused = send_report(reader(), f"?claim={verified_claim.pk}", message="見て", source_url="javascript:alert(1)")
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    assert not Report.objects.exists()


def test_the_report_form_is_never_a_cached_page(verified_claim):
    response = reader().get(reverse("claims:report") + f"?claim={verified_claim.pk}")
    assert "no-store" in response["Cache-Control"] and "csrfmiddlewaretoken" in response.content.decode()


def test_an_editor_closes_a_report_as_corrected_changes_the_verdict_and_readers_see_the_correction(
    home_article, verified_claim
):
    send_report(reader(), f"?claim={verified_claim.pk}", message="二番目では?", contact="r@example.org")
    report = Report.objects.get()
    editor = make_user("hanako", groups=[EDITORS])
    staff = Client(raise_request_exception=False)
    staff.force_login(editor)
    queue = staff.get(reverse("admin:claims_reviewqueueitem_changelist")).content.decode()
    assert FUJI in queue  # a claim with an open report is in the review queue
    add_evidence(verified_claim, stance="refutes", url="https://example.org/recount", title="再測量")
    services.claim_change_status(
        claim=verified_claim,
        to=Status.DISPUTED,
        note="読者の報告を受けて再測量の結果を確認した。",
        user=editor,
        via="admin",
        verdict_note="再測量では二番目とされた。",
    )
    changelist = reverse("admin:claims_report_changelist")
    page = staff.post(changelist, {"action": "close_action", "_selected_action": [report.pk]})
    form = page_form(page, having="public_reply")
    staff.post(
        changelist, post_data(form, state="corrected", public_reply="ご指摘を受けて判定を改めました。", apply="1")
    )
    report.refresh_from_db()
    assert report.state == "corrected" and report.contact == "" and report.closed_at is not None

    claim_page = reader().get(reverse("claims:claim", args=[verified_claim.pk])).content.decode()
    assert "ご指摘を受けて判定を改めました。" in claim_page
    review = next(
        node for graph in json_ld(claim_page) for node in graph.get("@graph", []) if node["@type"] == "ClaimReview"
    )
    [correction] = review["correction"]
    assert (
        correction["@type"] == "CorrectionComment"
        and correction["text"] == "読者の報告を受けて再測量の結果を確認した。"
    )
    log = reader().get(reverse("claims:corrections")).content.decode()
    assert FUJI in log and "読者の報告を受けて再測量の結果を確認した。" in log
    assert "読者の報告を受けて再測量の結果を確認した。" in reader().get("/feed/").content.decode()
    home = reader().get("/").content.decode()
    assert reverse("claims:corrections") + f"?article={home_article.slug}" in home  # 「この記事は…訂正されました」


def test_editing_a_published_articles_sentence_needs_a_note_and_is_logged_with_before_and_after(
    home_article, verified_claim
):
    chief = make_user("taro", groups=[CHIEF_EDITORS])
    staff = Client(raise_request_exception=False)
    staff.force_login(chief)
    url = reverse("admin:claims_article_change", args=[home_article.pk])
    form = page_form(staff.get(url), having="body")
    body = home_article.body.replace("最後の文です。", "最後の一文です。")
    refused = staff.post(url, post_data(form, body=body))
    assert refused.status_code == 200 and not ArticleCorrection.objects.exists()
    assert (
        ja(
            "This article is published: say in a short public correction note what you corrected and why. "
            "It is listed on the corrections page with the sentences before and after."
        )
        in refused.content.decode()
    )
    staff.post(url, post_data(form, body=body, correction_note="言い回しを直した。"))
    correction = ArticleCorrection.objects.get()
    assert correction.changes == [{"before": "最後の文です。", "after": "最後の一文です。"}]
    home_article.refresh_from_db()
    assert home_article.corrected_at is not None
    log = reader().get(reverse("claims:corrections")).content.decode()
    assert "言い回しを直した。" in log and "<del>最後の文です。</del>" in log and "<ins>最後の一文です。</ins>" in log
    home = reader().get("/").content.decode()
    [node] = [g for g in json_ld(home) if g.get("@type") == "Article"]
    assert node["correction"][0]["text"] == "言い回しを直した。"
    assert "言い回しを直した。" in reader().get("/feed/").content.decode()


def test_loading_the_shipped_record_is_not_a_correction():
    call_command("load_essay", stdout=io.StringIO())
    assert StatusChange.objects.exists() and set(StatusChange.objects.values_list("via", flat=True)) == {"load"}
    claim = Claim.objects.filter(status="verified").first()
    assert claim.history.get().created_at.date() == claim.last_checked  # dated from the record
    assert "<entry>" not in reader().get("/feed/").content.decode()
    assert ja("No correction so far.") in reader().get(reverse("claims:corrections")).content.decode()
    assert "correction-notice" not in reader().get("/").content.decode()
    claim_page = reader().get(reverse("claims:claim", args=[claim.pk])).content.decode()
    assert "hundred-model-war.claims.csv" not in claim_page  # the load's note names an internal file


def test_the_corrections_policy_states_the_answer_time_and_is_the_sites_corrections_policy(verified_claim, settings):
    settings.CLAIMS_REPORT_ANSWER_DAYS = 5
    page = reader().get(reverse("claims:corrections_policy")).content.decode()
    assert "5" in page and reverse("claims:corrections") in page
    site = next(
        g for g in json_ld(reader().get("/method/").content.decode()) if g.get("@type") == "NewsMediaOrganization"
    )
    assert site["correctionsPolicy"].endswith("/corrections/policy/")
    assert site["actionableFeedbackPolicy"].endswith("/corrections/policy/#report")


def test_a_bare_report_address_says_where_to_report_and_lists_the_articles(home_article, verified_claim):
    response = reader().get(reverse("claims:report"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{reverse("claims:report")}?article={home_article.slug}"' in page
    assert "「この主張の誤りを報告」" in page and reverse("claims:corrections_policy") in page
