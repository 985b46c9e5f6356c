"""Tags named only by punctuation (claims/tagging.py): a usable slug on every path (the write path,
a CSV import, the tag admin), and no page broken by a tag stored with an empty slug.
"""

import pytest
from django.test import Client
from django.urls import reverse
from taggit.models import Tag

from claims.csv import importing
from claims.roles import CHIEF_EDITORS
from claims.tests.factories import (
    csv_bytes,
    csv_row,
    edit,
    make_article,
    make_user,
)

pytestmark = pytest.mark.django_db

PUNCTUATION_TAGS = ["!!!", "「？？？」", "...", "-", "＿"]


def reader():
    return Client(raise_request_exception=False)


def public_pages(claim):
    return ["/claims/", "/claims/?q=東京", reverse("claims:claim", args=[claim.pk]), claim.article.get_absolute_url()]


# Punctuation-only tags


@pytest.mark.parametrize("name", PUNCTUATION_TAGS)
def test_punctuation_tag_from_the_write_path_gets_a_usable_slug(name):
    article = make_article()
    claim = article.claims.first()
    edit(claim, tags=[name])
    tag = Tag.objects.get(name=name)
    assert tag.slug.strip("-_")
    client = reader()
    for url in public_pages(claim):
        response = client.get(url)
        assert response.status_code == 200, url
    tag_page = client.get(reverse("claims:tag", args=[tag.slug]))
    assert tag_page.status_code == 200
    assert name in tag_page.content.decode()


def test_two_punctuation_tags_get_two_slugs():
    claim = make_article().claims.first()
    edit(claim, tags=["!!!", "？？？"])
    slugs = set(Tag.objects.values_list("slug", flat=True))
    assert len(slugs) == 2 and all(slug.strip("-_") for slug in slugs)


def test_punctuation_tag_from_a_csv_import_gets_a_usable_slug():
    article = make_article()
    claim = article.claims.first()
    data = csv_bytes([csv_row(id=claim.pk, statement=claim.statement, tags="!!!、「？？？」")])
    report = importing.import_bytes(data)
    assert report.ok, [str(e) for e in report.errors]
    assert Tag.objects.filter(slug="").count() == 0
    assert Tag.objects.filter(name__in=["!!!", "「？？？」"]).count() == 2
    for url in public_pages(claim):
        assert reader().get(url).status_code == 200, url


def test_punctuation_tag_from_the_tag_admin_gets_a_usable_slug():
    client = Client(raise_request_exception=False)
    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    response = client.post(reverse("admin:taggit_tag_add"), {"name": "!!!", "slug": ""})
    if response.status_code == 302:
        assert Tag.objects.get(name="!!!").slug.strip("-_")
    else:  # refused with the field's reason, never a 500
        assert response.status_code == 200
        assert response.context["adminform"].form.errors


def test_a_tag_stored_with_an_empty_slug_does_not_break_any_page():
    claim = make_article().claims.first()
    edit(claim, tags=["!!!"])
    Tag.objects.filter(name="!!!").update(slug="")  # as stored before the fix
    for url in public_pages(claim):
        response = reader().get(url)
        assert response.status_code == 200, url
        assert "!!!" in response.content.decode() or url != "/claims/"


@pytest.mark.parametrize("name", [*PUNCTUATION_TAGS, "\u200b", "tag\u202e", "<b>x</b>", "あ" * 101])
def test_tag_admin_never_fails(name):
    client = Client(raise_request_exception=False)
    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    claim = make_article().claims.first()
    response = client.post(reverse("admin:taggit_tag_add"), {"name": name, "slug": ""})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["adminform"].form.errors
    for url in public_pages(claim):
        assert reader().get(url).status_code == 200
