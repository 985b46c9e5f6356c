"""The article body: badges and paragraphs are rendered once per version of their claims and reused."""

import datetime
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from claims import rendering, services
from claims.caching.pages import local_pages
from claims.caching.revision import content_changed
from claims.models import Claim, Evidence
from claims.tests.factories import edit, links_of, make_status
from claims.tests.sampledata import make_sample_article

pytestmark = pytest.mark.django_db


def render(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_after_one_edit_only_the_badges_of_that_claims_paragraph_are_rendered_again():
    article = make_sample_article(20)  # four paragraphs of five claimed sentences
    client = Client()
    with mock.patch.object(rendering, "claim_badge", wraps=rendering.claim_badge) as badge:
        render(client, article.get_absolute_url())
        first = badge.call_count
        assert first == article.claims.filter(is_claim=True, is_anchored=True).count() == 20
        content_changed()  # an edit anywhere: the page is rendered again, its badges are not
        render(client, article.get_absolute_url())
        assert badge.call_count == first
        claim = article.claims.filter(is_claim=True).first()
        edit(claim, verdict_note="書き換えた判定メモ")
        page = render(client, article.get_absolute_url())
        assert badge.call_count == first + 5
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


def test_after_one_edit_only_that_claims_paragraph_is_rendered_again():
    article = make_sample_article(20)  # four paragraphs of five claimed sentences
    client = Client()
    with mock.patch.object(rendering, "_paragraph", wraps=rendering._paragraph) as paragraph:
        render(client, article.get_absolute_url())
        assert paragraph.call_count == 4
        content_changed()  # the page is rendered again; its paragraphs are not
        render(client, article.get_absolute_url())
        assert paragraph.call_count == 4
        claim = article.claims.filter(is_claim=True).last()
        edit(claim, verdict_note="最後の段落だけが変わる")
        page = render(client, article.get_absolute_url())
        assert paragraph.call_count == 5
    assert "最後の段落だけが変わる" in page


def test_an_edit_to_one_article_renders_nothing_of_another():
    first, second = make_sample_article(10, slug="first"), make_sample_article(10, slug="second")
    client = Client()
    render(client, first.get_absolute_url())
    render(client, second.get_absolute_url())
    edit(first.claims.filter(is_claim=True).first(), verdict_note="一つ目の記事だけ")
    with (
        mock.patch.object(rendering, "claim_badge", wraps=rendering.claim_badge) as badge,
        mock.patch.object(rendering, "_paragraph", wraps=rendering._paragraph) as paragraph,
    ):
        render(client, second.get_absolute_url())
    assert (badge.call_count, paragraph.call_count) == (0, 0)


def test_the_page_shows_claims_read_as_rows_exactly_as_model_instances_would():
    article = make_sample_article(12)
    claims = list(article.claims.filter(is_claim=True))
    make_status(claims[1], Claim.Status.OUTDATED, note="数字が変わった。", as_of=datetime.date(2023, 9, 1))
    Evidence.objects.filter(claim=claims[2]).update(title="", publisher="")  # the link's words: its host
    Evidence.objects.filter(claim=claims[3]).delete()
    Claim.objects.filter(pk=claims[4].pk).update(last_checked=None, verdict_note="<b>エスケープ</b> & “引用”")
    article.refresh_from_db()
    with translation.override("en"):
        as_models = str(rendering.render_article_body(article, list(article.claims.public().order_by("position"))))
        cache.clear()  # nothing stored: the rows' badges and paragraphs are rendered too
        rendering.local_fragments.pages.clear()
        as_rows = str(rendering.render_article_body(article, rendering.shown_claims(article)))
    assert as_rows == as_models
    assert "&lt;b&gt;エスケープ&lt;/b&gt; &amp; “引用”" in as_rows
    assert ">example.com</a>" in as_rows and "as of September 2023" in as_rows


def test_a_new_text_is_split_again_and_shown():
    article = make_sample_article(5)
    client = Client()
    render(client, article.get_absolute_url())
    body = article.body.replace("## 第1節", "## 改めた見出し")
    services.article_update(article=article, body=body, correction_note="見出しを改めた。")
    page = render(client, article.get_absolute_url())
    assert "改めた見出し" in page and "第1節" not in page


def test_a_stored_fragment_is_used_by_this_process_without_asking_the_shared_cache_again():
    article = make_sample_article(10)
    client = Client()
    render(client, article.get_absolute_url())
    content_changed()
    with (
        mock.patch("claims.rendering.cache.get_many", wraps=rendering.cache.get_many) as shared,
        mock.patch.object(rendering, "_paragraph", wraps=rendering._paragraph) as paragraph,
    ):
        page = render(client, article.get_absolute_url())
    assert (shared.call_count, paragraph.call_count) == (0, 0)
    assert page.count('class="badge') == 10


def essay_body(page):
    return page[page.index('id="essay-body"') : page.index('class="article-report"')]


def from_nothing(client, url):
    """The page as a new process renders it: nothing stored, nothing kept."""
    cache.clear()
    for kept in (local_pages, rendering.local_fragments, rendering.local_plans):
        kept.pages.clear()
    return render(client, url)


def test_a_page_kept_in_the_process_shows_each_kind_of_change_as_a_render_from_nothing_would():
    article = make_sample_article(12)
    url = article.get_absolute_url()
    client = Client()
    render(client, url)  # the process now keeps the article's plan
    first, second, third, fourth = article.claims.filter(is_claim=True).order_by("position")[:4]

    def shown():
        page = render(client, url)
        assert essay_body(page) == essay_body(from_nothing(client, url))
        return page

    make_status(first, Claim.Status.DISPUTED, note="反証が見つかった。")
    page = shown()
    assert f'class="claim claim-disputed" id="claim-{first.pk}"' in page and "反証が見つかった。" in page

    services.claims_set_is_claim(claims=[second], is_claim=False)
    assert f'id="claim-{second.pk}"' not in shown()
    services.claims_set_is_claim(claims=[second], is_claim=True)
    assert f'id="claim-{second.pk}"' in shown()

    Claim.objects.filter(pk=third.pk).delete()
    content_changed()
    assert f'id="claim-{third.pk}"' not in shown()

    reworded = fourth.statement.replace("述べています", "書いています")
    services.article_update(
        article=article, body=article.body.replace(fourth.statement, reworded), correction_note="言い回しを改めた。"
    )
    page = shown()
    assert f'class="claim claim-pending" id="claim-{fourth.pk}">{reworded}</span>' in page


def test_after_one_edit_the_page_reads_again_only_the_row_of_the_edited_claim():
    article = make_sample_article(30)
    client = Client()
    render(client, article.get_absolute_url())
    claim = article.claims.filter(is_claim=True).last()
    edit(claim, verdict_note="この行だけ読み直す")
    with (
        mock.patch.object(rendering, "shown_claims", wraps=rendering.shown_claims) as every_row,
        mock.patch.object(rendering, "_rows_with_details", wraps=rendering._rows_with_details) as changed_rows,
    ):
        page = render(client, article.get_absolute_url())
    assert every_row.call_count == 0
    assert [list(call.args[1]) for call in changed_rows.call_args_list] == [[claim.pk]]
    assert "この行だけ読み直す" in page
