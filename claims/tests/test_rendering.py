"""The article body: badges are rendered once per version of their claim and reused."""

from unittest import mock

import pytest
from django.test import Client

from claims import rendering
from claims.caching.revision import content_changed
from claims.models import Evidence
from claims.sampledata import make_sample_article
from claims.tests.factories import edit, links_of

pytestmark = pytest.mark.django_db


def render(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_after_one_edit_only_that_claims_badge_is_rendered_again():
    article = make_sample_article(20)
    client = Client()
    with mock.patch.object(rendering, "claim_badge", wraps=rendering.claim_badge) as badge:
        render(client, article.get_absolute_url())
        first = badge.call_count
        assert first == article.claims.filter(is_claim=True, is_anchored=True).count()
        content_changed()  # an edit anywhere: the page is rendered again, its badges are not
        render(client, article.get_absolute_url())
        assert badge.call_count == first
        claim = article.claims.filter(is_claim=True).first()
        edit(claim, verdict_note="書き換えた判定メモ")
        page = render(client, article.get_absolute_url())
        assert badge.call_count == first + 1
    assert "書き換えた判定メモ" in page


def test_a_badge_shows_its_claims_new_evidence_at_once():
    article = make_sample_article(5)
    claim = article.claims.filter(is_claim=True).first()
    client = Client()
    render(client, article.get_absolute_url())
    link = {**links_of(claim)[0], "title": "差し替えた出典の題"}
    edit(claim, evidence=[link, *links_of(claim)[1:]])
    assert "差し替えた出典の題" in render(client, article.get_absolute_url())
    assert Evidence.objects.filter(title="差し替えた出典の題").exists()


def test_a_cache_that_fails_renders_every_badge():
    article = make_sample_article(5)
    with mock.patch("claims.rendering.cache.get_many", side_effect=ConnectionError("down")):
        page = render(Client(), article.get_absolute_url())
    assert page.count('class="badge') >= 5
