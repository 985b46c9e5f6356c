"""og:image on every public page: a card per claim and per article (claims/share_cards.py), the
default card elsewhere; each answers a PNG that Pillow decodes, at the size the page declares."""

import io

import lxml.html
import pytest
from django.urls import reverse
from PIL import Image

from claims import share_cards
from claims.models import Claim
from claims.tests.factories import claim_for, edit, make_article, make_status, make_verified

pytestmark = pytest.mark.django_db

needs_font = pytest.mark.skipif(
    share_cards.card_font_path() is None, reason="no Japanese font on this machine (fonts-ipaexfont-gothic)"
)


@pytest.fixture
def essay():
    article = make_article(slug="hundred-model-war")
    make_verified(claim_for(article, "富士山は日本一高い山です。"))
    make_status(claim_for(article, "東京は日本の首都です。", 1), Claim.Status.DISPUTED)
    edit(claim_for(article, "最後の文です。"), tags=["地理"])
    return article


@pytest.fixture(autouse=True)
def fresh_font_lookup():
    share_cards.card_font_path.cache_clear()
    yield
    share_cards.card_font_path.cache_clear()


def public_pages(article):
    claim = claim_for(article, "富士山は日本一高い山です。")
    tag = claim_for(article, "最後の文です。").tags.get()
    return [
        "/",
        reverse("claims:article_list"),
        article.get_absolute_url(),
        reverse("claims:claim_list"),
        claim.get_absolute_url(),
        reverse("claims:tag", args=[tag.slug]),
        reverse("claims:method"),
        reverse("claims:corrections"),
        reverse("claims:corrections_policy"),
        reverse("claims:report") + f"?claim={claim.pk}",
        reverse("api:docs"),
    ]


def og(page, prop):
    [value] = [meta.get("content") for meta in page.cssselect(f'meta[property="{prop}"]')]
    return value


def fetch_image(client, url):
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200, url
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_every_public_page_has_an_og_image_that_answers_an_image(client, essay):
    for url in public_pages(essay):
        response = client.get(url)
        assert response.status_code == 200, url
        page = lxml.html.fromstring(response.content)
        image_url = og(page, "og:image")
        assert image_url.startswith("http://testserver/"), url
        assert og(page, "og:image:alt"), url
        image = fetch_image(client, image_url)
        assert image.format == "PNG"
        assert image.size == (int(og(page, "og:image:width")), int(og(page, "og:image:height"))) == (1200, 630)


def test_a_claim_and_an_article_each_have_their_own_card(client, essay):
    claim = claim_for(essay, "東京は日本の首都です。", 1)
    page = lxml.html.fromstring(client.get(claim.get_absolute_url()).content)
    assert f"/share/claims/{claim.pk}.png?v={claim.version}" in og(page, "og:image")
    assert og(page, "og:image:alt") == "異論あり: 東京は日本の首都です。"
    page = lxml.html.fromstring(client.get(essay.get_absolute_url()).content)
    assert f"/share/articles/{essay.slug}.png" in og(page, "og:image")
    assert og(page, "og:image:alt") == essay.title
    hidden = make_article(slug="draft", published=False)
    assert client.get(reverse("claims:article_card", args=[hidden.slug])).status_code == 404
    assert client.get(reverse("claims:claim_card", args=[hidden.claims.first().pk])).status_code == 404


@needs_font
def test_a_new_version_of_a_claim_gets_a_new_card(client, essay):
    claim = claim_for(essay, "最後の文です。")
    before = client.get(reverse("claims:claim_card", args=[claim.pk])).content
    make_verified(claim)
    claim.refresh_from_db()
    page = lxml.html.fromstring(client.get(claim.get_absolute_url()).content)
    assert f"?v={claim.version}" in og(page, "og:image")
    after = client.get(reverse("claims:claim_card", args=[claim.pk])).content
    assert after != before and after != share_cards.default_card()


def test_without_a_japanese_font_every_card_is_the_default_card(client, essay, settings):
    settings.CLAIMS_CARD_FONT = "/nonexistent/font.ttf"
    claim = claim_for(essay, "東京は日本の首都です。", 1)
    assert client.get(reverse("claims:claim_card", args=[claim.pk])).content == share_cards.default_card()
    assert client.get(reverse("claims:article_card", args=[essay.slug])).content == share_cards.default_card()
