"""The read-only JSON API: filters, cursor pages, conditional GET, CORS and the rate limit."""

import datetime

import lxml.html
import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format

from claims import services
from claims.models import Claim, Withdrawal
from claims.tests.factories import claim_for, edit, make_article, make_status, make_verified

# The site's own API settings with a small allowance: everything else (the schema class above
# all, which @extend_schema reads when the API views are first imported) stays as deployed.
THREE_A_MINUTE = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": "3/minute"}}

pytestmark = pytest.mark.django_db

Status = Claim.Status
CLAIMS = "/api/v1/claims"
FUJI = "富士山は日本一高い山です。"


def directives(response):
    return {directive.strip() for directive in response["Cache-Control"].split(",")}


def every_page(client, url, **params):
    """All results, following ``next``, and the number of pages."""
    results, pages = [], 0
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        data = response.json()
        results.extend(data["results"])
        pages += 1
        if not data["next"]:
            return results, pages
        response = client.get(data["next"])


@pytest.fixture
def essay():
    article = make_article()
    make_verified(claim_for(article, "富士山は日本一高い山です。"))
    make_status(claim_for(article, "東京は日本の首都です。", 1), Status.DISPUTED)
    edit(claim_for(article, "最後の文です。"), tags=["地理"])
    hidden = make_article(slug="draft", published=False)
    make_verified(claim_for(hidden, "富士山は日本一高い山です。"))
    return article


def test_status_filter_lists_only_verified_claims_of_published_articles(client, essay):
    results, _pages = every_page(client, CLAIMS, status="verified")
    assert [claim["statement"] for claim in results] == ["富士山は日本一高い山です。"]
    assert results[0]["article"] == essay.slug
    assert (
        results[0]["html_url"]
        == "http://testserver" + claim_for(essay, "富士山は日本一高い山です。").get_absolute_url()
    )


def test_article_tag_section_and_updated_since_filters(client, essay):
    other = make_article(slug="other", body="## 序\n\n別の記事の文です。\n")
    assert {c["article"] for c in every_page(client, CLAIMS, article="other")[0]} == {"other"}
    assert [c["statement"] for c in every_page(client, CLAIMS, tag="地理")[0]] == ["最後の文です。"]
    second = every_page(client, CLAIMS, section="第二章")[0]
    assert [c["statement"] for c in second] == ["東京は日本の首都です。", "最後の文です。"]
    later = timezone.now() + datetime.timedelta(seconds=1)
    Claim.objects.filter(article=other).update(updated_at=later + datetime.timedelta(hours=1))
    recent = every_page(client, CLAIMS, updated_since=later.isoformat())[0]
    assert [c["statement"] for c in recent] == ["別の記事の文です。"]
    assert client.get(CLAIMS, {"article": "draft"}).json()["results"] == []


def test_an_invalid_filter_is_a_400_that_names_it(client, essay):
    response = client.get(CLAIMS, {"status": "true"})
    assert response.status_code == 400
    assert "status" in response.json()
    assert client.get(CLAIMS, {"updated_since": "yesterday"}).status_code == 400
    assert client.get(CLAIMS, {"cursor": "not-a-cursor"}).status_code == 404


def test_cursor_pages_cover_every_claim_once_even_when_claims_are_added_meanwhile(client):
    article = make_article(body="\n\n".join(f"これは{index}番目の文です。" for index in range(120)))
    first = client.get(CLAIMS).json()
    assert len(first["results"]) == 50 and first["previous"] is None
    # A claim added between two pages (a new sentence) comes last; nothing shifts.
    Claim.objects.create(article=article, statement="新しく加わった文です。", position=10_000, is_anchored=False)
    seen = [claim["id"] for claim in first["results"]]
    rest, pages = every_page(client, first["next"])
    seen += [claim["id"] for claim in rest]
    assert len(seen) == len(set(seen)) == Claim.objects.public().count() == 121
    assert seen == sorted(seen)
    assert pages == 2


def test_one_claim_has_its_evidence_and_public_history(client, essay):
    claim = claim_for(essay, "東京は日本の首都です。", 1)
    data = client.get(reverse("api:claim", kwargs={"id": claim.pk})).json()
    assert data["status"] == "disputed"
    assert [(item["stance"], item["url"]) for item in data["evidence"]] == [("refutes", "https://example.org/refutes")]
    assert [(row["from_status"], row["to_status"]) for row in data["history"]] == [("pending", "disputed")]
    assert set(data["history"][0]) == {"from_status", "to_status", "note", "created_at"}
    hidden = Claim.objects.exclude(article__is_published=True).first()
    assert client.get(reverse("api:claim", kwargs={"id": hidden.pk})).status_code == 404
    for pk in ("0", "abc", str(2**70)):
        response = client.get(f"{CLAIMS}/{pk}")
        assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_a_withdrawn_claim_is_410_saying_when_and_linking_its_corrections_entry(client, essay):
    claim = claim_for(essay, FUJI)
    url = reverse("api:claim", kwargs={"id": claim.pk})
    etag = client.get(url)["ETag"]
    services.claims_delete(claims=[claim], user=None, note="同じ文の主張が二つあった。")
    withdrawal = Withdrawal.objects.get(claim_pk=claim.pk)
    # A client holding the claim's ETag learns it is gone, not that nothing changed.
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 410 and response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*" and "ETag" not in response
    data = response.json()
    assert parse_datetime(data["withdrawn_at"]) == withdrawal.created_at
    assert (data["id"], data["reason"], data["note"]) == (claim.pk, "deleted", "同じ文の主張が二つあった。")
    assert (data["statement"], data["status"], data["article"]) == (FUJI, "verified", essay.slug)
    assert date_format(timezone.localtime(withdrawal.created_at), "DATE_FORMAT") in data["detail"]  # the day
    assert data["html_url"] == f"http://testserver{claim.get_absolute_url()}"
    corrections, anchor = data["corrections_url"].split("#")
    assert corrections == f"http://testserver{reverse('claims:corrections')}"
    page = lxml.html.fromstring(client.get(reverse("claims:corrections")).content.decode())
    assert FUJI in page.get_element_by_id(anchor).text_content()
    assert client.get(claim.get_absolute_url()).status_code == 410  # as the claim's page says


def test_a_claim_marked_not_a_claim_is_410_and_a_recovered_one_is_back(client, essay):
    claim = claim_for(essay, "最後の文です。")
    services.claims_set_is_claim(claims=[claim], is_claim=False)
    response = client.get(reverse("api:claim", kwargs={"id": claim.pk}))
    assert response.status_code == 410 and response.json()["reason"] == "not_claim"
    deleted = claim_for(essay, FUJI)
    services.claims_delete(claims=[deleted], user=None)
    snapshot = Withdrawal.objects.get(claim_pk=deleted.pk).snapshot_version_id
    services.claim_recover_version(version_id=snapshot, user=None)
    assert client.get(reverse("api:claim", kwargs={"id": deleted.pk})).status_code == 200
    # An id no claim ever had is still not found.
    never = Claim.objects.order_by("-pk").first().pk + 1000
    response = client.get(reverse("api:claim", kwargs={"id": never}))
    assert response.status_code == 404 and set(response.json()) == {"detail"}
    assert client.get(f"{CLAIMS}/{2**63 - 1}").status_code == 404


def test_articles_and_tags_list_only_what_readers_see(client, essay):
    articles = client.get("/api/v1/articles").json()
    assert [a["slug"] for a in articles] == [essay.slug]
    assert articles[0]["claims"] == Claim.objects.public().filter(article=essay).count()
    assert articles[0]["annotations"].endswith(reverse("api:annotations", kwargs={"slug": essay.slug}))
    assert "body" in client.get(f"/api/v1/articles/{essay.slug}").json()
    assert client.get("/api/v1/articles/draft").status_code == 404
    assert client.get("/api/v1/tags").json() == [
        {"name": "地理", "slug": "地理", "claims": 1, "html_url": "http://testserver/tags/%E5%9C%B0%E7%90%86/"}
    ]


def test_a_repeat_with_the_etag_is_304_until_a_reader_visible_change(client, essay):
    first = client.get(CLAIMS, {"status": "verified"})
    assert {"public", "max-age=0", "must-revalidate", "s-maxage=0"} == directives(first)  # no edge configured
    again = client.get(CLAIMS, {"status": "verified"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"]
    make_verified(claim_for(essay, "最後の文です。"))
    changed = client.get(CLAIMS, {"status": "verified"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert len(changed.json()["results"]) == 2


def test_an_edit_to_article_a_moves_its_answers_and_the_lists_and_leaves_article_bs(client):
    article_a = make_article(slug="article-a")
    article_b = make_article(slug="article-b", title="別の記事")
    a_urls, b_urls = (
        [
            f"/annotations/{article.slug}/",
            f"/annotations/{article.slug}/{claim_for(article, FUJI).pk}",
            f"/api/v1/articles/{article.slug}",
            f"{CLAIMS}/{claim_for(article, FUJI).pk}",
        ]
        for article in (article_a, article_b)
    )
    lists = [CLAIMS, "/api/v1/articles", "/api/v1/tags", "/claimreview.json", "/data/claims.json"]
    before = {}
    for url in a_urls + b_urls + lists:
        response = client.get(url)
        assert response.status_code == 200, url
        before[url] = response["ETag"]
    make_verified(claim_for(article_a, FUJI), note="Aだけの判定メモ")
    for url in b_urls:
        assert client.get(url, HTTP_IF_NONE_MATCH=before[url]).status_code == 304, url
    for url in a_urls + lists:
        response = client.get(url, HTTP_IF_NONE_MATCH=before[url])
        assert response.status_code == 200 and response["ETag"] != before[url], url
    assert "Aだけの判定メモ" in client.get(a_urls[0]).content.decode()


def test_api_answers_carry_the_surrogate_keys_of_what_they_show(client, essay, settings):
    settings.EDGE_PURGE_BACKEND = "varnish"
    claim = claim_for(essay, FUJI)
    keys = {
        f"/annotations/{essay.slug}/": ["all", f"article-{essay.slug}"],
        f"/annotations/{essay.slug}/{claim.pk}": ["all", f"article-{essay.slug}"],
        f"/api/v1/articles/{essay.slug}": ["all", f"article-{essay.slug}"],
        f"{CLAIMS}/{claim.pk}": ["all", f"claim-{claim.pk}"],
        CLAIMS: ["all", "index"],
        "/api/v1/tags": ["all", "index"],
    }
    for url, expected in keys.items():
        response = client.get(url)
        assert response["xkey"].split() == expected, url
        assert "s-maxage=86400" in directives(response), url
        again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304 and again["xkey"] == response["xkey"], url
    assert client.get(f"{CLAIMS}/{2**63}").status_code == 404
    assert client.get("/api/v1/articles/no-such-article").status_code == 404


def test_any_origin_may_read_without_credentials(client, essay):
    response = client.get(CLAIMS, HTTP_ORIGIN="https://elsewhere.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    preflight = client.options(
        CLAIMS, HTTP_ORIGIN="https://elsewhere.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]
    assert client.post(CLAIMS, {}).status_code == 405
    claim = Claim.objects.public().first()  # ids are not 1, 2, … on every database
    assert client.delete(f"{CLAIMS}/{claim.pk}").status_code == 405


@override_settings(REST_FRAMEWORK=THREE_A_MINUTE)
def test_too_many_requests_from_one_client_get_429_with_retry_after(client, essay):
    for _ in range(3):
        assert client.get("/api/v1/tags").status_code == 200
    refused = client.get("/api/v1/tags")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    # Another address has its own allowance.
    assert client.get("/api/v1/tags", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_schema_is_openapi_3_1_and_documents_every_endpoint(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert set(schema["paths"]) == {
        "/api/v1/articles",
        "/api/v1/articles/{slug}",
        "/api/v1/claims",
        "/api/v1/claims/{id}",
        "/api/v1/tags",
    }
    parameters = {p["name"] for p in schema["paths"]["/api/v1/claims"]["get"]["parameters"]}
    assert {"article", "status", "tag", "section", "updated_since", "cursor"} <= parameters
    detail = schema["paths"]["/api/v1/claims/{id}"]["get"]["responses"]
    assert {"200", "404", "410"} <= set(detail)
    assert "internal_note" not in response.content.decode()


def test_docs_page_is_in_japanese_and_english(client):
    html = client.get(reverse("api:docs")).content.decode()
    assert 'lang="ja"' in html and 'lang="en"' in html
    assert "/api/schema/" in html and "claims.csv" in html and "claimreview.json" in html


def test_a_filter_text_no_row_has_is_an_empty_page_and_an_empty_one_is_refused(client, essay):
    for params in ({"tag": "no\x00such"}, {"section": "  "}, {"article": "\x00"}):
        response = client.get(CLAIMS, params)
        assert response.status_code == 200 and response.json()["results"] == [], params
    for params in ({"tag": ""}, {"updated_since": ""}, {"status": ""}):
        assert client.get(CLAIMS, params).status_code == 400, params
