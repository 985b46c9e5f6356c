"""Hostile API parameters: every one answers 4xx, never 500, and no header carries text from the URL.

The red-team review (issue 26) found three anonymous 500s: a time at the calendar's edge, a cursor
whose position is not a number, and a URL with a line break answered with surrogate keys built
from it. A conditional request for something that does not exist, or is a draft, is a 404 as if
the header were not there.
"""

import base64
from urllib.parse import quote

import pytest
from django.test import Client

from claims.tests.factories import claim_for, make_article, make_verified

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims"


@pytest.fixture
def reader():
    return Client(raise_request_exception=False)


@pytest.fixture
def edge(settings):
    settings.EDGE_PURGE_BACKEND = "varnish"
    settings.EDGE_PURGE_URLS = []


@pytest.fixture
def essay():
    article = make_article()
    make_verified(claim_for(article, "富士山は日本一高い山です。"))
    draft = make_article(slug="draft", published=False)
    make_verified(claim_for(draft, "富士山は日本一高い山です。"))
    return article


def cursor(text):
    return quote(base64.b64encode(text.encode()).decode())


@pytest.mark.parametrize("since", ["x", "99999-01-01", "2024-13-01", ""])
def test_a_time_that_does_not_parse_is_a_400_naming_the_parameter(reader, essay, since):
    response = reader.get(CLAIMS, {"updated_since": since})
    assert response.status_code == 400
    assert "updated_since" in response.json()


@pytest.mark.parametrize(
    "since, everything",
    [
        ("0001-01-01", True),
        ("0001-01-01T00:00:00+14:00", True),
        ("0481-10-04T10:37:09Z", True),
        ("1899-12-31", True),
        ("1900-01-01T00:00:00Z", True),
        ("9998-06-01T00:00:00Z", False),
        ("9999-12-31T23:59:59-12:00", False),
    ],
)
def test_a_time_at_the_calendars_ends_selects_what_it_says(reader, essay, since, everything):
    response = reader.get(CLAIMS, {"updated_since": since})
    assert response.status_code == 200
    assert response.json()["results"] == (reader.get(CLAIMS).json()["results"] if everything else [])


@pytest.mark.parametrize("position", ["abc", "-1", "1.5", "１", "99999999999999999999", "1e3", "\x00"])
def test_a_cursor_whose_position_is_not_a_claim_id_is_a_404(reader, essay, position):
    response = reader.get(f"{CLAIMS}?cursor={cursor(f'p={position}')}")
    assert response.status_code == 404
    assert response.json() == reader.get(f"{CLAIMS}?cursor=not-base64").json()  # as any bad cursor


def test_a_cursor_from_the_api_itself_still_pages(reader, essay):
    response = reader.get(f"{CLAIMS}?cursor={cursor('p=0')}")
    assert response.status_code == 200 and response.json()["results"] == reader.get(CLAIMS).json()["results"]


@pytest.mark.parametrize(
    "path", ["/api/v1/articles/x%0Ay", "/api/v1/articles/x%0D%0Axkey:%20evil", "/api/v1/articles/nope"]
)
@pytest.mark.parametrize("condition", [{}, {"HTTP_IF_NONE_MATCH": "*"}, {"HTTP_IF_NONE_MATCH": '"abc"'}])
def test_a_missing_article_is_a_404_without_keys_whatever_the_conditions(reader, essay, edge, path, condition):
    response = reader.get(path, **condition)
    assert response.status_code == 404
    assert "xkey" not in response and "ETag" not in response


@pytest.mark.parametrize("path", ["/api/v1/articles/draft", "/annotations/draft/", "/api/v1/claims/999999"])
def test_a_draft_or_missing_row_answers_as_without_if_none_match(reader, essay, edge, path):
    plain = reader.get(path)
    conditional = reader.get(path, HTTP_IF_NONE_MATCH="*")
    assert plain.status_code == conditional.status_code == 404
    assert "xkey" not in conditional


def test_a_draft_claim_is_a_404_with_if_none_match(reader, essay, edge):
    hidden = claim_for(make_article(slug="draft-2", published=False), "富士山は日本一高い山です。")
    for path in (f"/api/v1/claims/{hidden.pk}", f"/annotations/draft-2/{hidden.pk}"):
        assert reader.get(path, HTTP_IF_NONE_MATCH="*").status_code == 404, path


def test_a_published_article_still_answers_304_with_its_own_keys(reader, essay, edge):
    first = reader.get("/api/v1/articles/test-article")
    again = reader.get("/api/v1/articles/test-article", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["xkey"].split()[:2] == ["all", "article-test-article"]
    annotations = reader.get("/annotations/test-article/")
    assert reader.get("/annotations/test-article/", HTTP_IF_NONE_MATCH=annotations["ETag"]).status_code == 304


@pytest.mark.parametrize(
    "path",
    ["/articles/made-up/", "/articles/draft/", "/claims/999999/", "/tags/made-up/", "/articles/?page=99"],
)
@pytest.mark.parametrize(
    "condition",
    [{"HTTP_IF_NONE_MATCH": "*"}, {"HTTP_IF_MODIFIED_SINCE": "Thu, 01 Jan 2099 00:00:00 GMT"}],
)
def test_a_page_that_does_not_exist_is_a_404_whatever_the_conditions(reader, essay, edge, path, condition):
    plain = reader.get(path)
    conditional = reader.get(path, **condition)
    assert plain.status_code == conditional.status_code == 404
    assert "xkey" not in conditional and "ETag" not in conditional


def test_a_public_page_still_answers_304_rendered_or_stored(reader, essay, edge):
    first = reader.get("/articles/test-article/")
    from django.core.cache import cache

    from claims.caching.pages import local_pages

    cache.clear()
    local_pages.pages.clear()
    rendered = reader.get("/articles/test-article/", HTTP_IF_NONE_MATCH=first["ETag"])
    stored = reader.get("/articles/test-article/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert rendered.status_code == stored.status_code == 304
    assert reader.get("/articles/test-article/", HTTP_IF_NONE_MATCH="*").status_code == 304


@pytest.mark.parametrize("method", ["options", "delete", "post"])
def test_other_methods_on_a_url_with_a_line_break_carry_no_key_from_it(reader, essay, edge, method):
    response = getattr(reader, method)("/api/v1/articles/x%0Ay")
    assert response.status_code in (200, 404, 405)
    assert "xkey" not in response and "ETag" not in response
