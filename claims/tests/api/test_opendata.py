"""The ClaimReview feed, the bulk downloads, and what none of the open data may ever contain."""

import csv
import datetime
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from claims import services
from claims.api.opendata import PUBLIC_COLUMNS
from claims.models import Claim, Proposal, Report, StatusChange
from claims.tests.factories import claim_for, make_article, make_status, make_user, make_verified, rating

pytestmark = pytest.mark.django_db

Status = Claim.Status
LICENCE = "https://creativecommons.org/licenses/by/4.0/"


@pytest.fixture
def essay():
    article = make_article()
    make_verified(claim_for(article, "富士山は日本一高い山です。"))
    make_status(claim_for(article, "東京は日本の首都です。", 1), Status.DISPUTED)
    make_status(claim_for(article, "最後の文です。"), Status.UNSUPPORTED)
    make_status(claim_for(article, "東京は日本の首都です。"), Status.OUTDATED)
    return article


def test_claimreview_feed_has_one_review_per_decided_public_claim(client, essay):
    hidden = make_article(slug="draft", published=False)
    make_verified(claim_for(hidden, "富士山は日本一高い山です。"))
    not_a_claim = claim_for(essay, "本当でしょうか?")
    Claim.objects.filter(pk=not_a_claim.pk).update(is_claim=False, status=Status.VERIFIED)
    fuji = claim_for(essay, "富士山は日本一高い山です。")
    services.claim_change_status(claim=fuji, to=Status.VERIFIED, via="command", rating=rating("accurate"))

    response = client.get("/claimreview.json")
    assert response.status_code == 200
    feed = json.loads(response.content)
    assert feed["@type"] == "DataFeed" and feed["license"] == LICENCE and feed["dateModified"]
    reviews = [element["item"][0] for element in feed["dataFeedElement"]]
    decided = Claim.objects.public().exclude(status=Status.PENDING)
    assert sorted(review["url"] for review in reviews) == sorted(
        "http://testserver" + claim.get_absolute_url() for claim in decided
    )
    assert len(reviews) == decided.count() == 4
    ratings = {review["claimReviewed"]: review["reviewRating"] for review in reviews}
    assert ratings["富士山は日本一高い山です。"] == {
        "@type": "Rating",
        "name": "Accurate",
        "alternateName": "正確",
        "ratingValue": 5,
        "bestRating": 5,
        "worstRating": 1,
    }
    # Disputed but not rated yet: no number at all, never the worst.
    assert all("ratingValue" not in r for claim, r in ratings.items() if claim != "富士山は日本一高い山です。")
    assert ratings["最後の文です。"] == {"@type": "Rating", "name": "Unproven", "alternateName": "根拠不明"}
    assert all(review["@type"] == "ClaimReview" and review["itemReviewed"]["@type"] == "Claim" for review in reviews)


def test_csv_download_has_the_export_columns_less_what_readers_may_not_see(client, essay):
    response = client.get(reverse("api:claims_csv"))
    assert response.status_code == 200
    assert response["Link"].startswith(f'<{LICENCE}>; rel="license"')
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == PUBLIC_COLUMNS
    assert "internal_note" not in rows[0] and "recheck_after" not in rows[0]
    assert len(rows) - 1 == Claim.objects.public().count()


def test_json_download_states_its_licence_and_date(client, essay):
    data = json.loads(client.get(reverse("api:claims_json")).content)
    assert data["license"]["url"] == LICENCE and data["dateModified"]
    assert data["columns"] == PUBLIC_COLUMNS
    statuses = {row["statement"]: row["status"] for row in data["claims"]}
    assert statuses["富士山は日本一高い山です。"] == "verified"
    assert len(data["claims"]) == Claim.objects.public().count()


def test_the_site_links_the_api_the_downloads_and_the_annotations(client, essay):
    html = client.get(essay.get_absolute_url()).content.decode()
    assert f'href="{reverse("api:docs")}"' in html
    assert f'href="{reverse("api:docs")}#downloads"' in html
    assert f'href="{reverse("api:annotations", kwargs={"slug": essay.slug})}"' in html
    docs = client.get(reverse("api:docs")).content.decode()
    for name in ("api:claims_csv", "api:claims_json", "api:claimreview"):
        assert f'href="{reverse(name)}"' in docs


# ---------------------------------------------------------------------------------------------
# Planted words


def every_open_data_answer(client, article):
    """Every URL of the open data a reader or a machine can fetch, with its answer."""
    urls = [
        reverse("api:docs"),
        "/api/schema/",
        "/api/v1/articles",
        f"/api/v1/articles/{article.slug}",
        "/api/v1/tags",
        "/claimreview.json",
        reverse("api:claims_csv"),
        reverse("api:claims_json"),
    ]
    urls += [f"/api/v1/claims?status={status}" for status in Status.values]
    urls += [f"/api/v1/claims/{pk}" for pk in Claim.objects.values_list("pk", flat=True)]
    container = reverse("api:annotations", kwargs={"slug": article.slug})
    urls += [container, container + "?page=0"]
    urls += [
        reverse("api:annotation", kwargs={"slug": article.slug, "pk": pk})
        for pk in Claim.objects.public().values_list("pk", flat=True)
    ]
    answers = {}
    url = "/api/v1/claims"
    while url:
        response = client.get(url)
        answers[url] = response
        url = response.json()["next"]
    for url in urls:
        answers[url] = client.get(url)
    return answers


PLANTED = (
    "zxqinternalnote",
    "zxqimportfile",
    "zxqeditorname",
    "zxqcontact",
    "zxqdraft",
    "zxqnotaclaim",
    "zxqproposal",
    "zxqreport",
)


def test_planted_words_never_appear_in_any_api_answer_feed_or_download(client, essay):
    editor = make_user("zxqeditorname")
    editor.email = "zxqcontact@example.com"
    editor.save()
    fuji = claim_for(essay, "富士山は日本一高い山です。")
    Claim.objects.filter(article=essay).update(internal_note="zxqinternalnote")
    services.claim_change_status(
        claim=claim_for(essay, "最後の文です。"),
        to=Status.PENDING,
        note="zxqimportfile.csv",
        user=editor,
        via=StatusChange.Via.IMPORT,
        verdict_note="",
    )
    make_verified(fuji, user=editor)
    draft = make_article(slug="draft", title="zxqdrafttitle", body="zxqdraftsentence です。\n", published=False)
    make_verified(draft.claims.get(), note="zxqdraftnote")
    not_a_claim = claim_for(essay, "本当でしょうか?")
    Claim.objects.filter(pk=not_a_claim.pk).update(is_claim=False, verdict_note="zxqnotaclaim")

    # A pending proposal (values a second editor has not signed off) and an open reader report.
    Proposal.objects.create(
        claim=fuji,
        values={"status": "disputed", "verdict_note": "zxqproposalnote"},
        base_version=fuji.version,
        note="zxqproposalhistory",
        via=StatusChange.Via.ADMIN,
        proposed_by=editor,
    )
    Report.objects.create(article=essay, claim=fuji, message="zxqreportmessage", contact="zxqreporter@example.com")

    answers = every_open_data_answer(client, essay)
    assert sum(response.status_code == 200 for response in answers.values()) > 20
    for url, response in answers.items():
        assert response.status_code in (200, 404), url  # 404: a claim readers may not see
        text = response.content.decode("utf-8-sig")
        for word in PLANTED:
            assert word not in text, (url, word)
    # The planted rows are there: a test that plants nothing proves nothing.
    assert Claim.objects.filter(internal_note="zxqinternalnote").count() > 5
    assert StatusChange.objects.filter(note="zxqimportfile.csv").exists()
    assert Proposal.objects.open().filter(claim=fuji).exists() and Report.objects.filter(claim=fuji).exists()
    assert Claim.objects.get(pk=fuji.pk).status == Status.VERIFIED


# ---------------------------------------------------------------------------------------------
# The CSV as plain UTF-8, with CSV on the Web metadata


def test_the_csv_is_plain_utf8_rfc4180_without_a_byte_order_mark(client, essay):
    response = client.get(reverse("api:claims_csv"))
    body = response.content
    assert not body.startswith(b"\xef\xbb\xbf")
    assert body.startswith(",".join(PUBLIC_COLUMNS).encode() + b"\r\n") and body.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert rows[0] == PUBLIC_COLUMNS and {len(row) for row in rows} == {len(PUBLIC_COLUMNS)}
    metadata_url = reverse("api:claims_csv_metadata")
    assert f'<{metadata_url}>; rel="describedby"; type="application/csvm+json"' in response["Link"]


def test_the_csv_on_the_web_metadata_describes_every_column_and_its_cells_fit_their_datatype(client, essay):
    response = client.get(reverse("api:claims_csv_metadata"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/csvm+json")
    metadata = response.json()
    assert metadata["@context"] == "http://www.w3.org/ns/csvw"
    assert metadata["url"] == "http://testserver" + reverse("api:claims_csv")
    assert metadata["dc:license"] == {"@id": LICENCE}
    columns = metadata["tableSchema"]["columns"]
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("api:claims_csv")).content.decode("utf-8"))))
    assert [column["name"] for column in columns] == PUBLIC_COLUMNS == list(rows[0])
    assert all(column["name"] in column["titles"]["en"] and column["titles"]["ja"] for column in columns)
    assert metadata["tableSchema"]["primaryKey"] == "id"
    for column in columns:
        datatype = column["datatype"]
        base = datatype if isinstance(datatype, str) else datatype["base"]
        for row in rows:
            cell = row[column["name"]]
            if cell == "":
                assert not column["required"], column["name"]
            elif base == "integer":
                assert cell.isdigit()
            elif base == "date":
                datetime.date.fromisoformat(cell)
            elif isinstance(datatype, dict) and "format" in datatype:
                assert re.fullmatch(datatype["format"], cell), (column["name"], cell)


def test_the_editors_excel_export_keeps_its_byte_order_mark(essay):
    chief = make_user("chief", superuser=True)
    staff = Client(raise_request_exception=False)
    staff.force_login(chief)
    response = staff.post(reverse("admin:claims_claim_export"), {"format": "0", "resource": "0"})
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbfid,article,statement")
