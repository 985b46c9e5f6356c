"""方法と評価基準: the public page that explains the verdicts states the rules the code enforces."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from claims import services
from claims.models import Claim
from claims.tests.factories import claim_for, make_article, make_status

pytestmark = pytest.mark.django_db
Status = Claim.Status


def page(url="/method/"):
    response = Client().get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_every_rule_the_workflow_enforces_is_on_the_page_in_the_readers_language():
    text = page()
    with translation.override("ja"):
        for status in Status.values:
            for rule in services.status_rule_errors(status=status, verdict_note="", as_of=None, stances=[]):
                assert escape(rule) in text, rule
            assert escape(str(Status(status).label)) in text


def test_the_sign_off_paragraph_follows_the_setting(settings):
    settings.CLAIMS_SIGN_OFF = True
    on = page()
    settings.CLAIMS_SIGN_OFF = False
    from django.core.cache import cache

    from claims.caching.pages import local_pages

    cache.clear()
    local_pages.pages.clear()
    off = page()
    assert on != off
    assert 'id="sign-off"' in on and 'id="sign-off"' in off


def test_every_page_names_the_method_as_the_publishers_policies():
    article = make_article(slug="hundred-model-war")
    claim = make_status(claim_for(article, "富士山は日本一高い山です。"), Status.VERIFIED)
    for url in ["/", reverse("claims:claim", args=[claim.pk]), "/claims/"]:
        text = page(url)
        graphs = [
            json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
        ]
        site = next(g for g in graphs if g.get("@type") == "NewsMediaOrganization")
        assert site["publishingPrinciples"].endswith("/method/")
        assert site["verificationFactCheckingPolicy"].endswith("/method/#verdicts")
        assert 'href="/method/"' in text  # the footer
    home = page("/")
    assert 'href="/method/#status-verified"' in home  # each popover links its verdict's explanation
    assert home.count('href="/method/"') >= 2  # the legend and the footer
