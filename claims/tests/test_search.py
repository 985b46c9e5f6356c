"""Search whose cost does not grow with what is typed (claims/search.py, the claims list's ``q``):
distinct words only, at most 8 in 100 characters with a message in Japanese, a rate per client
(429 with Retry-After), and the same answers as a word-by-word substring search."""

import lxml.html
import pytest
from django.test import Client, override_settings
from django.utils import translation

from claims import ratelimit
from claims.models import Claim
from claims.search import MAX_LENGTH, MAX_WORDS, search_claims, search_words, validate_query
from claims.tests.factories import claim_for, make_article, make_status

pytestmark = pytest.mark.django_db

FUJI = "富士山は日本一高い山です。"
TOKYO = "東京は日本の首都です。"


@pytest.fixture(autouse=True)
def fresh_counters():
    ratelimit.local_counters.counts.clear()


@pytest.fixture
def essay():
    article = make_article()
    make_status(claim_for(article, FUJI), Claim.Status.VERIFIED, note="ＮＥＣの資料で確認。100%_一致")
    return article


def reader(address="203.0.113.7"):
    return Client(raise_request_exception=False, REMOTE_ADDR=address)


def found(query):
    return set(search_claims(Claim.objects.public(), query).values_list("statement", flat=True))


def test_words_are_distinct_and_a_word_inside_another_is_dropped():
    assert search_words("山 山 富士山 ＮＥＣ nec") == ["富士山", "nec"]
    assert search_words("  ") == []


def test_every_word_must_be_found_widths_folded_and_wildcards_literal(essay):
    assert found("富士山 nec") == {FUJI}
    assert found("富士山 首都") == set()
    assert found("首都") == {TOKYO}
    assert found("100%_一致") == {FUJI}
    assert found("100%一致") == set()  # % and _ are text, not wildcards
    assert found("_") == {FUJI}


def test_a_hundred_word_query_of_repeated_words_is_one_word(essay):
    assert found(" ".join(["山"] * 100)) == found("山")


@pytest.mark.parametrize(
    "query, message",
    [
        ("あ" * (MAX_LENGTH + 1), f"検索は{MAX_LENGTH}文字以内"),
        (" ".join("あいうえおかきくけこ"[: MAX_WORDS + 1]), f"{MAX_WORDS}語まで"),
        ("㍻" * 60, f"検索は{MAX_LENGTH}文字以内"),  # 60 characters, 120 once normalised
    ],
)
def test_too_long_or_too_many_words_is_refused_with_a_message_in_japanese(essay, query, message):
    response = reader().get("/claims/", {"q": query})
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    assert message in page.cssselect("#q-error")[0].text_content()
    assert page.cssselect("#id_q")[0].get("aria-invalid") == "true"
    assert not page.cssselect(".claim-item")


def test_eight_distinct_words_are_searched():
    validate_query(" ".join("あいうえおかきく"))
    validate_query(" ".join(["あ"] * 50))


@override_settings(CLAIMS_SEARCHES_PER_MINUTE="3/minute")
def test_too_many_searches_from_one_client_get_429_with_retry_after(essay):
    client = reader()
    assert [client.get("/claims/", {"q": "富士山"}).status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/claims/", {"q": "富士山"})
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    with translation.override("ja"):
        assert "検索" in lxml.html.fromstring(refused.content).cssselect("#q-error")[0].text_content()
    # Browsing the list without a search is not counted; another client has its own allowance.
    assert client.get("/claims/").status_code == 200
    assert reader("198.51.100.10").get("/claims/", {"q": "富士山"}).status_code == 200


def test_a_search_page_is_found_through_the_list(essay):
    response = reader().get("/claims/", {"q": "ＮＥＣ"})
    assert response.status_code == 200
    assert "1 件" in lxml.html.fromstring(response.content).cssselect(".result-count")[0].text_content()


def test_on_postgresql_a_word_of_three_characters_is_looked_up_in_the_trigram_index(essay):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's (migration 0017)")
    sql, params = search_claims(Claim.objects.all(), "富士山 日本").values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # A test database is too small to prefer the index: rule out reading the whole table.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "claims_claim_search_trgm" in plan, plan
    assert found("富士山 日本") == {FUJI}


def test_on_postgresql_a_search_past_its_deadline_is_cancelled_with_a_message(essay, settings, monkeypatch):
    from django.db import connection
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no statement timeout")
    settings.CLAIMS_SEARCH_TIMEOUT = 0.05

    def slow_search(queryset, query):
        return queryset.filter(RawSQL("pg_sleep(1) IS NOT NULL", [], output_field=BooleanField()))

    monkeypatch.setattr("claims.claim_filters.search_claims", slow_search)
    response = reader().get("/claims/", {"q": "富士山"})
    assert response.status_code == 200  # the list, with the reason; not the database-down page
    page = lxml.html.fromstring(response.content)
    assert "時間がかかりすぎ" in page.cssselect("#q-error")[0].text_content()
    assert not page.cssselect(".claim-item")
    assert reader().get("/claims/").status_code == 200  # the connection is still good
