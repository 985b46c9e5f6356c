"""The claims as W3C Web Annotations: the container's protocol headers, the selectors against the
rendered page, and JSON-LD that expands against the W3C context without the network."""

import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pyld import jsonld

from claims import services
from claims.api.annotations import ANNO_CONTEXT
from claims.models import Article, Claim
from claims.tests.factories import add_evidence, claim_for, edit, make_article, make_status, make_verified

pytestmark = pytest.mark.django_db

Status = Claim.Status
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
ANNO_FILE = Path(__file__).resolve().parents[2] / "api" / "contexts" / "anno.jsonld"
# Entities, a quote and a duplicate sentence: what could shift a position between body and page.
BODY = (
    "## 第一章\n\n"
    "東京は日本の首都です。富士山は日本一高い山です。\n\n"
    "「これは引用です。まだ引用です。」と彼は言った。A&Bは<C>より大きいです。\n\n"
    "## 第二章 & 付録\n\n"
    "東京は日本の首都です。最後の文です。\n"
)


class EssayText(HTMLParser):
    """The text content of #essay-body without the badges (docs/annotations.md), from the HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # inside #essay-body: element depth
        self.skip = 0  # inside a badge or its <template>: element depth
        self.parts = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += 1
            if self.skip or tag == "template" or "badge" in (attrs.get("class") or "").split():
                self.skip += 1
        elif attrs.get("id") == "essay-body":
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
            if self.skip:
                self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)

    @classmethod
    def of(cls, html):
        parser = cls()
        parser.feed(html)
        return "".join(parser.parts)


def decided_article():
    article = make_article(body=BODY)
    make_verified(claim_for(article, "富士山は日本一高い山です。"), note="国土地理院による。<確認>&")
    make_status(claim_for(article, "東京は日本の首都です。", 1), Status.DISPUTED)
    make_status(claim_for(article, "A&Bは<C>より大きいです。"), Status.UNSUPPORTED)
    edit(claim_for(article, "最後の文です。"), tags=["地理", "首都"])
    return article


def container(client, article, **headers):
    return client.get(reverse("api:annotations", kwargs={"slug": article.slug}), **headers)


def all_annotations(client, article):
    data = json.loads(container(client, article).content)
    items = list(data["first"]["items"])
    page = data["first"]
    while "next" in page:
        page = json.loads(client.get(page["next"]).content)
        items.extend(page["items"])
    return data, items


def selector(annotation, kind):
    return next((s for s in annotation["target"]["selector"] if s["type"] == kind), None)


def test_container_answers_with_the_protocols_headers(client):
    article = decided_article()
    response = container(client, article)
    assert response.status_code == 200
    assert response["Content-Type"] == MEDIA_TYPE
    assert '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' in response["Link"]
    assert 'rel="http://www.w3.org/ns/ldp#constrainedBy"' in response["Link"]
    assert "Accept" in [value.strip() for value in response["Vary"].split(",")]
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    assert response["ETag"]
    assert response["Access-Control-Allow-Origin"] == "*"
    data = json.loads(response.content)
    assert data["type"] == ["BasicContainer", "AnnotationCollection"]
    assert data["total"] == Claim.objects.public().filter(article=article).count()
    assert data["first"]["type"] == "AnnotationPage"

    again = container(client, article, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_article_page_announces_its_annotation_service(client):
    article = decided_article()
    html = client.get(article.get_absolute_url()).content.decode()
    href = reverse("api:annotations", kwargs={"slug": article.slug})
    assert f'<link rel="http://www.w3.org/ns/oa#annotationService" href="{href}">' in html


def test_one_assessing_annotation_per_public_claim_with_its_bodies(client):
    article = decided_article()
    make_article(slug="hidden", body=BODY, published=False)
    data, items = all_annotations(client, article)
    public = list(Claim.objects.public().filter(article=article))
    assert len(items) == len(public) == data["total"]
    assert {item["motivation"] for item in items} == {"assessing"}

    fuji = claim_for(article, "富士山は日本一高い山です。")
    annotation = next(item for item in items if item["id"].endswith(f"/{fuji.pk}"))
    purposes = [body["purpose"] for body in annotation["body"]]
    assert purposes[:2] == ["assessing", "describing"]
    assert annotation["body"][0]["status"] == "verified"
    assert annotation["body"][1]["value"] == "国土地理院による。<確認>&"
    evidence = [body for body in annotation["body"] if "stance" in body]
    assert evidence == [
        {
            "type": "SpecificResource",
            "purpose": "linking",
            "source": {"id": "https://example.com/source", "type": "Text", "title": "出典"},
            "stance": "supports",
        }
    ]
    assert {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": "http://testserver" + fuji.get_absolute_url(),
    } in (annotation["body"])
    state = annotation["target"]["state"]
    assert state["type"] == "TimeState" and state["sourceDate"].startswith(str(article.updated_at.date())[:4])

    last = next(item for item in items if item["target"]["selector"][0]["exact"] == "最後の文です。")
    assert sorted(body["value"] for body in last["body"] if body["purpose"] == "tagging") == ["地理", "首都"]


def source_text(client, url):
    """The full text the target's source serves, as an annotation client fetches it."""
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"
    return response.content.decode("utf-8")


def positions_that_hold(client, items):
    """How many TextPositionSelectors index their quote, prefix and suffix in their source's text."""
    texts, held = {}, 0
    for item in items:
        target = item["target"]
        source = target["source"]["id"]
        text = texts.setdefault(source, source_text(client, source))
        position, quote = selector(item, "TextPositionSelector"), selector(item, "TextQuoteSelector")
        assert position is not None, item["id"]
        held += (
            text[position["start"] : position["end"]] == quote["exact"]
            and text[: position["start"]].endswith(quote["prefix"])
            and text[position["end"] :].startswith(quote["suffix"])
        )
    return held


def test_every_text_position_selector_yields_its_quote_in_the_text_its_source_serves(client):
    article = decided_article()
    _data, items = all_annotations(client, article)
    assert positions_that_hold(client, items) == len(items) > 5
    target = items[0]["target"]
    assert target["source"]["id"] == "http://testserver" + reverse("claims:article_text", args=[article.slug])
    assert target["source"]["format"] == "text/plain"
    assert target["scope"] == {
        "id": "http://testserver" + article.get_absolute_url(),
        "type": "Text",
        "format": "text/html",
        "language": "ja",
    }


def test_the_plain_text_is_the_pages_words_and_every_quote_is_on_the_page(client):
    article = decided_article()
    _data, items = all_annotations(client, article)
    text = source_text(client, reverse("claims:article_text", args=[article.slug]))
    assert text.startswith("第一章\n\n東京は日本の首都です。") and text.endswith("最後の文です。\n")
    assert "##" not in text and "&amp;" not in text
    page = EssayText.of(client.get(article.get_absolute_url()).content.decode())
    assert all(selector(item, "TextQuoteSelector")["exact"] in page for item in items)
    assert client.get(reverse("claims:article_text", args=["hidden"])).status_code == 404


def test_the_shipped_essays_positions_all_index_their_quotes():
    call_command("load_essay", stdout=io.StringIO())
    client = Client()
    checked = 0
    for article in Article.objects.published():
        _data, items = all_annotations(client, article)
        placed = [item for item in items if selector(item, "TextPositionSelector")]
        assert len(placed) >= 0.95 * len(items)
        assert positions_that_hold(client, placed) == len(placed)
        checked += len(placed)
    assert checked > 50


def test_an_unplaced_claim_keeps_its_quote_and_has_no_position(client):
    article = decided_article()
    claim = claim_for(article, "最後の文です。")
    Claim.objects.filter(pk=claim.pk).update(is_anchored=False)
    _data, items = all_annotations(client, article)
    annotation = next(item for item in items if item["id"].endswith(f"/{claim.pk}"))
    assert selector(annotation, "TextPositionSelector") is None
    assert selector(annotation, "TextQuoteSelector")["exact"] == "最後の文です。"


def test_one_annotation_is_a_resource_of_its_own(client):
    article = decided_article()
    claim = claim_for(article, "富士山は日本一高い山です。")
    response = client.get(reverse("api:annotation", kwargs={"slug": article.slug, "pk": claim.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == MEDIA_TYPE
    assert response["Link"] == '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
    assert json.loads(response.content)["@context"][0] == ANNO_CONTEXT
    hidden = make_article(slug="hidden", body=BODY, published=False)
    other = hidden.claims.first()
    assert client.get(reverse("api:annotation", kwargs={"slug": hidden.slug, "pk": other.pk})).status_code == 404
    assert client.get(reverse("api:annotation", kwargs={"slug": article.slug, "pk": other.pk})).status_code == 404


def test_a_withdrawn_annotation_is_410_as_its_claim_is(client):
    article = decided_article()
    claim = claim_for(article, "富士山は日本一高い山です。")
    url = reverse("api:annotation", kwargs={"slug": article.slug, "pk": claim.pk})
    services.claims_delete(claims=[claim], user=None, note="重複していた。")
    response = client.get(url)
    assert response.status_code == 410 and response["Link"] == '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
    assert (response.json()["id"], response.json()["reason"], response.json()["note"]) == (
        claim.pk,
        "deleted",
        "重複していた。",
    )
    _container, items = all_annotations(client, article)
    assert items and str(claim.pk) not in [item["id"].rsplit("/", 1)[-1] for item in items]
    # Under another article's address it was never there.
    other = make_article(slug="other", body=BODY)
    assert client.get(reverse("api:annotation", kwargs={"slug": other.slug, "pk": claim.pk})).status_code == 404


def test_pages_of_a_long_container_link_each_other(client):
    body = "\n\n".join(f"これは{index}番目の文です。" for index in range(230))
    article = make_article(body=body)
    data, items = all_annotations(client, article)
    assert data["total"] == len(items) == 230
    assert data["last"].endswith("?page=2")
    page = json.loads(client.get(data["last"]).content)
    assert page["startIndex"] == 200 and "next" not in page and page["prev"].endswith("?page=1")
    assert container(client, article, QUERY_STRING="page=3").status_code == 404


def local_loader(url, options=None):
    """pyld's document loader, offline: the W3C context from the repository, nothing else."""
    if url.rstrip("/") in (ANNO_CONTEXT, ANNO_CONTEXT.replace("http:", "https:")):
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(ANNO_FILE.read_text())}
    raise AssertionError(f"pyld tried to load {url}")


def test_container_expands_as_json_ld_against_the_w3c_context(client):
    article = decided_article()
    add_evidence(claim_for(article, "最後の文です。"), stance="refutes", url="https://example.org/no", publisher="P")
    data = json.loads(container(client, article).content)
    expanded = jsonld.expand(data, {"documentLoader": local_loader})
    assert expanded, "nothing expanded"
    flat = json.dumps(expanded)
    for iri in (
        "http://www.w3.org/ns/oa#Annotation",
        "http://www.w3.org/ns/oa#assessing",
        "http://www.w3.org/ns/oa#TextPositionSelector",
        "http://www.w3.org/ns/oa#TimeState",
        "http://www.w3.org/ns/ldp#BasicContainer",
        "http://www.w3.org/ns/activitystreams#OrderedCollection",
    ):
        assert iri in flat, iri
    assert "#term-refutes" in flat and "#term-verified" in flat
    one = client.get(data["first"]["items"][0]["id"])
    assert jsonld.expand(json.loads(one.content), {"documentLoader": local_loader})


CONTAINER_TYPE = '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"'
RESOURCE_TYPE = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'


def allowed(response):
    return set(response["Allow"].replace(" ", "").split(","))


def test_the_container_names_itself_in_content_location(client):
    article = decided_article()
    response = container(client, article)
    assert response["Content-Location"] == json.loads(response.content)["id"]
    assert response["Content-Location"] == "http://testserver" + reverse("api:annotations", args=[article.slug])


def test_link_and_allow_on_304_and_404_and_a_json_404_for_a_page_out_of_range(client):
    article = decided_article()
    first = container(client, article)
    not_modified = container(client, article, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304
    assert CONTAINER_TYPE in not_modified["Link"] and allowed(not_modified) == {"GET", "HEAD", "OPTIONS"}
    out_of_range = container(client, article, QUERY_STRING="page=999")
    assert out_of_range.status_code == 404 and out_of_range["Content-Type"] == "application/json"
    assert out_of_range.json() == {"detail": "Not found."}
    assert CONTAINER_TYPE in out_of_range["Link"] and allowed(out_of_range) == {"GET", "HEAD", "OPTIONS"}
    missing = client.get(reverse("api:annotation", kwargs={"slug": article.slug, "pk": 999999}))
    assert missing.status_code == 404 and missing["Link"] == RESOURCE_TYPE and missing.json()
    one = claim_for(article, "富士山は日本一高い山です。")
    url = reverse("api:annotation", kwargs={"slug": article.slug, "pk": one.pk})
    etag = client.get(url)["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["Link"] == RESOURCE_TYPE and allowed(again) == {"GET", "HEAD", "OPTIONS"}


def test_writes_are_405_with_allow_not_a_csrf_page(article_urls):
    client = Client(enforce_csrf_checks=True)
    for url in article_urls:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, data="{}", content_type="application/ld+json")
            assert response.status_code == 405, (method, url, response.status_code)
            assert allowed(response) == {"GET", "HEAD", "OPTIONS"} and response["Link"]


@pytest.fixture
def article_urls():
    article = decided_article()
    one = claim_for(article, "富士山は日本一高い山です。")
    return [
        reverse("api:annotations", args=[article.slug]),
        reverse("api:annotation", kwargs={"slug": article.slug, "pk": one.pk}),
    ]


def test_creator_generator_and_the_targets_format_and_language(client):
    article = decided_article()
    _data, items = all_annotations(client, article)
    for item in items:
        assert item["creator"]["id"] == "http://testserver/#publisher" and item["creator"]["nickname"]
        assert item["generator"]["type"] == "Software" and item["generator"]["id"].startswith("http://testserver/")
        assert item["target"]["source"]["language"] == "ja" and item["target"]["source"]["format"]
