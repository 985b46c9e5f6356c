"""The Atom feed (claims/feeds.py) against RFC 4287's required structure, with an author everywhere.

No feed validator is packaged on PyPI, so the check is a RELAX NG schema of RFC 4287's required
structure (claims/tests/schemas/atom.rng, written for these tests from the RFC's prose), run by
lxml, plus the RFC's rules a schema cannot say.
"""

from pathlib import Path

import pytest
from lxml import etree

from claims.models import ArticleCorrection, Claim
from claims.tests.factories import claim_for, make_article, make_status, make_verified

pytestmark = pytest.mark.django_db

ATOM = {"a": "http://www.w3.org/2005/Atom"}
SCHEMA = etree.RelaxNG(etree.parse(str(Path(__file__).parent / "schemas" / "atom.rng")))


@pytest.fixture
def feed_with_entries():
    article = make_article()
    make_verified(claim_for(article, "富士山は日本一高い山です。"))
    make_status(claim_for(article, "東京は日本の首都です。"), Claim.Status.DISPUTED)
    ArticleCorrection.objects.create(
        article=article, note="言い回しを直した。", changes=[{"before": "古い文。", "after": "新しい文。"}]
    )
    return article


def valid_feed(client):
    response = client.get("/feed/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    document = etree.fromstring(response.content)
    if not SCHEMA.validate(document):
        pytest.fail("\n".join(str(error) for error in SCHEMA.error_log))
    return document


def test_the_feed_and_each_entry_name_the_publisher_as_author(client, feed_with_entries):
    feed = valid_feed(client)
    entries = feed.findall("a:entry", ATOM)
    assert len(entries) == 3
    assert feed.findtext("a:author/a:name", namespaces=ATOM) == "百モデル戦争ファクトチェック"
    assert [entry.findtext("a:author/a:name", namespaces=ATOM) for entry in entries] == [
        "百モデル戦争ファクトチェック"
    ] * 3


def test_the_publishers_name_comes_from_the_setting(client, feed_with_entries, settings):
    settings.CLAIMS_PUBLISHER_NAME = "百モデル編集部"
    feed = valid_feed(client)
    assert {name.text for name in feed.iterfind(".//a:author/a:name", ATOM)} == {"百モデル編集部"}


def test_an_empty_feed_is_valid_too(client):
    valid_feed(client)


def test_rules_a_schema_cannot_say(client, feed_with_entries):
    feed = valid_feed(client)
    entries = feed.findall("a:entry", ATOM)
    ids = [entry.findtext("a:id", namespaces=ATOM) for entry in entries]
    assert len(set(ids)) == len(ids)  # 4.1.1: no two entries share an atom:id
    for element in [feed, *entries]:  # 4.1.1/4.1.2: at most one alternate link per type and hreflang
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in element.findall("a:link", ATOM)
            if link.get("rel", "alternate") == "alternate"
        ]
        assert len(alternates) == len(set(alternates))
    for entry in entries:  # 4.1.2: an entry without content has an alternate link
        if entry.find("a:content", ATOM) is None:
            assert any(link.get("rel", "alternate") == "alternate" for link in entry.findall("a:link", ATOM))


def test_the_schema_refuses_a_feed_without_an_author(client, feed_with_entries):
    """The check has teeth: the feed as it was before it named an author fails it."""
    feed = valid_feed(client)
    for author in feed.findall(".//a:author", ATOM):
        author.getparent().remove(author)
    assert not SCHEMA.validate(feed)
    assert "author" in str(SCHEMA.error_log)
