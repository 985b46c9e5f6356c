"""The readers' side, as a reader meets it: pages, badges, filters, feed and sitemap."""

import datetime
import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from claims import services
from claims.models import Article, Claim, Evidence
from claims.structured_data import REVIEW_RATINGS
from claims.tests.factories import add_evidence, claim_for, make_article, make_status, make_user
from claims.tests.sampledata import make_sample_article

pytestmark = pytest.mark.django_db
Status = Claim.Status

CAPITAL = "東京は日本の首都です。"
FUJI = "富士山は日本一高い山です。"
SECRET = "内部メモ:社外秘の判断材料"


def label(status, language="ja"):
    with translation.override(language):
        return str(Status(status).label)


def html(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def home_essay():
    """The home page's article, with the essay's title and a lead of its own."""
    return make_article(slug="hundred-model-war", title="百モデル大戦", lead="エッセイのリード文。")


@pytest.fixture
def verdict_author():
    """The staff member who records the verdicts: readers never see their name."""
    return make_user("yamada_editor")


@pytest.fixture
def verified(home_essay, verdict_author):
    claim = claim_for(home_essay, FUJI)
    add_evidence(claim, title="国土地理院の資料", publisher="国土地理院")
    return make_status(
        claim,
        Status.VERIFIED,
        note="標高3776mで日本一。",
        user=verdict_author,
        history_note="公的資料で確認",
        internal_note=SECRET,
    )


@pytest.fixture
def outdated(home_essay, verdict_author):
    claim = claim_for(home_essay, CAPITAL)
    return make_status(
        claim, Status.OUTDATED, note="当時の情報。", as_of=datetime.date(2023, 9, 1), user=verdict_author
    )


def badge_link(page, claim):
    match = re.search(rf'<a class="badge badge-(\w+)" href="{claim.get_absolute_url()}"[^>]*>(.*?)</a>', page)
    assert match, f"no badge for claim {claim.pk}"
    return match.group(1), match.group(2)


def details(page, claim):
    match = re.search(rf'<template id="claim-{claim.pk}-details">(.*?)</template>', page, re.S)
    assert match, f"no details for claim {claim.pk}"
    return match.group(1)


# ---------------------------------------------------------------------------------------------
# The article page


def test_home_page_shows_the_essay_with_title_lead_and_section_headings(client, home_essay):
    page = html(client.get("/"))
    assert "<h1>百モデル大戦</h1>" in page
    assert "エッセイのリード文。" in page
    assert '<h2 id="section-1">第一章</h2>' in page
    assert '<h2 id="section-2">第二章</h2>' in page
    assert '<html lang="ja">' in page


def test_other_articles_live_under_articles_slug(client, home_essay):
    other = make_article(slug="second", title="二本目の記事", body="## 節\n\n二本目の本文です。\n")
    assert other.get_absolute_url() == "/articles/second/"
    assert "二本目の本文です。" in html(client.get("/articles/second/"))


def test_each_claimed_sentence_is_marked_and_followed_by_a_badge_link_to_its_page(client, home_essay, verified):
    page = html(client.get("/"))
    assert f'<span class="claim claim-verified" id="claim-{verified.pk}">{FUJI}</span>&#8288;<a class="badge' in page
    status, inner = badge_link(page, verified)
    assert status == "verified"
    assert label(Status.VERIFIED) in inner
    assert 'aria-hidden="true">✓</span>' in inner  # an icon as well as the word, never colour alone
    pending = claim_for(home_essay, "最後の文です。")
    assert label(Status.PENDING) in badge_link(page, pending)[1]


def test_badge_details_give_verdict_evidence_last_check_and_the_claim_page(client, home_essay, verified):
    block = details(html(client.get("/")), verified)
    assert "標高3776mで日本一。" in block
    assert "国土地理院の資料" in block
    assert 'href="https://example.com/source"' in block
    assert label(Status.VERIFIED) in block
    with translation.override("ja"):
        supports = str(Evidence.Stance.SUPPORTS.label)
    assert f'<span class="stance stance-supports" lang="ja">{supports}</span>' in block
    assert f"{verified.last_checked.year}年{verified.last_checked.month}月{verified.last_checked.day}日" in block
    assert f'href="{verified.get_absolute_url()}"' in block


def test_outdated_badge_says_as_of_which_month(client, home_essay, outdated):
    assert "2023年9月" in details(html(client.get("/")), outdated)
    client.cookies["django_language"] = "en"
    assert "as of September 2023" in details(html(client.get("/")), outdated)


def test_statements_that_are_not_claims_get_no_badge(client, home_essay):
    claim = claim_for(home_essay, "最後の文です。")
    services.claims_set_is_claim(claims=[claim], is_claim=False)
    page = html(client.get("/"))
    assert f"claim-{claim.pk}" not in page
    assert "最後の文です。" in page


def test_summary_counts_claims_by_status_with_a_bar_and_a_legend(client, home_essay, verified, outdated):
    page = html(client.get("/"))
    summary = page[page.index('class="claim-summary"') : page.index('id="essay-body"')]
    total = Claim.objects.filter(article=home_essay, is_claim=True).count()
    assert f"{total} " in summary
    assert 'class="bar-verified"' in summary and 'class="bar-outdated"' in summary
    assert 'class="bar-disputed"' not in summary  # no zero-width slices
    for status in Status.values:
        assert label(status) in summary
    assert "?focus=issues" in summary


def test_focus_on_issues_works_without_javascript(client, home_essay, verified):
    assert 'class="essay"' in html(client.get("/"))
    page = html(client.get("/?focus=issues"))
    assert 'class="essay focus-issues"' in page
    assert 'href="/#essay-body"' in page


def test_unpublished_articles_are_not_found_and_their_claims_never_listed(client):
    draft = make_article(slug="draft", published=False, body="## 節\n\n下書きの秘密の文です。\n")
    claim = draft.claims.get()
    assert client.get("/articles/draft/").status_code == 404
    assert client.get(claim.get_absolute_url()).status_code == 404
    for url in ["/claims/", "/claims/?q=下書き", "/feed/", "/sitemap.xml"]:
        assert "下書きの秘密の文" not in client.get(url).content.decode()


def test_home_is_not_found_while_the_essay_is_unpublished(client):
    make_article(slug="hundred-model-war", published=False)
    assert client.get("/").status_code == 404


def test_article_page_runs_the_same_number_of_queries_for_10_and_100_claims(client):
    counts = []
    for n in (10, 100):
        article = make_sample_article(n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(article.get_absolute_url())
        assert response.status_code == 200
        assert response.content.decode().count('class="badge badge-') == n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 4, counts  # the content revision, the article, its claims, their evidence


# ---------------------------------------------------------------------------------------------
# Claims that lost their sentence


def test_unanchored_claim_has_its_page_and_is_listed_but_not_glued_to_a_sentence(client, home_essay, verified):
    new_body = home_essay.body.replace(FUJI, "富士山は静岡県と山梨県にまたがる山で、かつては噴火もしました。")
    services.article_update(article=home_essay, body=new_body)
    verified.refresh_from_db()
    assert not verified.is_anchored

    page = html(client.get("/"))
    assert f'id="claim-{verified.pk}"' not in page
    unplaced = page[page.index('class="unplaced"') :]
    assert FUJI in unplaced
    assert f'href="{verified.get_absolute_url()}"' in unplaced

    claim_page = html(client.get(verified.get_absolute_url()))
    assert FUJI in claim_page
    assert 'class="notice"' in claim_page
    assert "<mark" not in claim_page
    assert FUJI in html(client.get("/claims/"))


def test_claim_with_a_stale_anchor_is_not_shown_on_the_sentence_now_at_its_place(client, home_essay, verified):
    Claim.objects.filter(pk=verified.pk).update(statement="富士山は世界一高い山です。")
    page = html(client.get("/"))
    assert f'<span class="claim claim-verified" id="claim-{verified.pk}">' not in page
    assert "富士山は世界一高い山です。" in page[page.index('class="unplaced"') :]


# ---------------------------------------------------------------------------------------------
# A claim's page


def test_claim_page_shows_the_statement_in_context_verdict_evidence_tags_and_dates(client, home_essay, verified):
    verified.tags.add("地理")
    add_evidence(verified, stance=Evidence.Stance.CONTEXT, title="背景の記事", url="https://example.net/bg")
    page = html(client.get(verified.get_absolute_url()))
    assert f'<h1 class="claim-statement" lang="ja">{FUJI}</h1>' in page
    context = page[page.index('class="in-context"') :]
    assert f'<span class="context-around">{CAPITAL}</span><mark class="claim claim-verified">{FUJI}</mark>' in context
    assert "標高3776mで日本一。" in page
    evidence = page[page.index('id="evidence-title"') :]
    with translation.override("ja"):
        supports, background = str(Evidence.Stance.SUPPORTS.label), str(Evidence.Stance.CONTEXT.label)
    assert evidence.index(supports) < evidence.index("国土地理院の資料") < evidence.index(background)
    assert evidence.index(background) < evidence.index("背景の記事")
    assert 'href="/tags/' in page and "地理" in page
    assert f'href="/#claim-{verified.pk}"' in page


def test_claim_page_history_shows_date_change_and_note_but_no_editor(client, home_essay, verified, verdict_author):
    page = html(client.get(verified.get_absolute_url()))
    history = page[page.index('class="timeline"') :]
    assert label(Status.PENDING) in history and label(Status.VERIFIED) in history
    assert "公的資料で確認" in history
    assert verdict_author.username not in page
    assert SECRET not in page


def test_claim_page_json_ld_describes_the_claim_and_its_review(client, home_essay, verified):
    page = html(client.get(verified.get_absolute_url()))
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    graph = json.loads(raw)["@graph"]
    claim_node = next(node for node in graph if node["@type"] == "Claim")
    review = next(node for node in graph if node["@type"] == "ClaimReview")
    url = f"http://testserver{verified.get_absolute_url()}"
    assert claim_node["@id"] == url + "#claim"
    assert claim_node["text"] == FUJI
    assert claim_node["appearance"]["url"] == f"http://testserver/#claim-{verified.pk}"
    # The claim was made when the essay was published (not when its row was written).
    assert claim_node["datePublished"] == claim_node["dateCreated"] == home_essay.published_at.isoformat()
    assert claim_node["firstAppearance"] == {
        "@type": "CreativeWork",
        "url": "http://testserver/",
        "headline": home_essay.title,
        "datePublished": home_essay.published_at.isoformat(),
    }
    assert claim_node["author"]["@id"] == "http://testserver/#publisher"
    assert review["itemReviewed"] == {"@id": claim_node["@id"]}
    # Not rated yet: the status's words, and no number (a number comes only from a rating).
    assert review["reviewRating"]["name"] == REVIEW_RATINGS[Status.VERIFIED] == "True"
    assert "ratingValue" not in review["reviewRating"]
    assert review["reviewRating"]["alternateName"] == label(Status.VERIFIED)
    assert review["datePublished"] == verified.last_checked.isoformat()
    assert SECRET not in raw


def test_pending_claims_have_no_claim_review(client, home_essay):
    claim = claim_for(home_essay, "最後の文です。")
    page = html(client.get(claim.get_absolute_url()))
    graph = json.loads(re.search(r'type="application/ld\+json">(.*?)</script>', page, re.S).group(1))["@graph"]
    assert [node["@type"] for node in graph] == ["Claim"]


def test_json_ld_cannot_be_broken_out_of_by_the_verdict(client, home_essay):
    claim = claim_for(home_essay, "最後の文です。")
    make_status(claim, Status.DISPUTED, note="</script><script>alert(1)</script> & more")
    page = html(client.get(claim.get_absolute_url()))
    raw = re.search(r'type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    review = json.loads(raw)["@graph"][1]
    assert review["reviewBody"] == "</script><script>alert(1)</script> & more"
    assert "ratingValue" not in review["reviewRating"]  # disputed but unrated: never the worst value
    assert "<script>alert" not in page


def test_a_claim_marked_not_a_claim_leaves_a_withdrawn_page_not_its_claim_page(client, home_essay):
    claim = claim_for(home_essay, "最後の文です。")
    services.claims_set_is_claim(claims=[claim], is_claim=False)
    response = client.get(claim.get_absolute_url())
    assert response.status_code == 410  # it was public: the address says it was withdrawn
    assert 'class="claim-page claim-withdrawn"' in response.content.decode()
    assert 'class="claim-statement"' not in response.content.decode()


def test_claims_of_unpublished_articles_have_no_page(client):
    draft = make_article(slug="draft", published=False)
    claim = claim_for(draft, "最後の文です。")
    assert client.get(claim.get_absolute_url()).status_code == 404
    services.claims_set_is_claim(claims=[claim], is_claim=False)  # never public: no withdrawal page
    assert client.get(claim.get_absolute_url()).status_code == 404


# ---------------------------------------------------------------------------------------------
# The claims index and tag pages


def listed(page):
    return re.findall(r'<p class="claim-item-statement" lang="ja"><a href="/claims/(\d+)/">', page)


def test_search_finds_a_two_character_japanese_word(client, home_essay):
    page = html(client.get("/claims/", {"q": "首都"}))
    expected = [str(c.pk) for c in home_essay.claims.filter(statement=CAPITAL).order_by("position")]
    assert listed(page) == expected and len(expected) == 2


def test_search_looks_in_verdict_notes_but_never_in_internal_notes(client, home_essay, verified):
    assert listed(html(client.get("/claims/", {"q": "3776"}))) == [str(verified.pk)]
    page = html(client.get("/claims/", {"q": "社外秘"}))
    assert listed(page) == []
    assert SECRET not in page


def test_index_filters_by_status_tag_and_section(client, home_essay, verified, outdated):
    verified.tags.add("山")
    assert listed(html(client.get("/claims/", {"status": "verified"}))) == [str(verified.pk)]
    assert listed(html(client.get("/claims/", {"status": "outdated"}))) == [str(outdated.pk)]
    tag = verified.tags.get()
    assert listed(html(client.get("/claims/", {"tag": tag.slug}))) == [str(verified.pk)]
    second = listed(html(client.get("/claims/", {"section": "第二章"})))
    assert second == [str(c.pk) for c in home_essay.claims.filter(section="第二章").order_by("position")]
    unknown = html(client.get("/claims/", {"status": "nonsense"}))
    assert len(listed(unknown)) == home_essay.claims.count()


def test_index_paginates_and_keeps_the_filter(client):
    make_sample_article(60)
    first = html(client.get("/claims/", {"q": "首都"}))
    assert len(listed(first)) == 50
    assert 'href="?q=%E9%A6%96%E9%83%BD&amp;page=2"' in first
    assert len(listed(html(client.get("/claims/", {"q": "首都", "page": 2})))) == 10


def test_tag_page_lists_the_public_claims_with_that_tag(client, home_essay, verified):
    verified.tags.add("地理")
    tag = verified.tags.get()
    draft = make_article(slug="draft", published=False, body="## 節\n\n下書きの文です。\n")
    draft.claims.get().tags.add(tag)
    page = html(client.get(reverse("claims:tag", args=[tag.slug])))
    assert listed(page) == [str(verified.pk)]
    assert "地理" in page
    assert client.get(reverse("claims:tag", args=["no-such-tag"])).status_code == 404


def test_tag_used_only_on_unpublished_claims_has_no_page(client):
    draft = make_article(slug="draft", published=False, body="## 節\n\n下書きの文です。\n")
    draft.claims.get().tags.add("秘密のタグ")
    tag = draft.claims.get().tags.get()
    assert client.get(reverse("claims:tag", args=[tag.slug])).status_code == 404


def test_index_runs_a_fixed_number_of_queries(client):
    counts = []
    for n in (5, 40):
        make_sample_article(n)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/claims/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# ---------------------------------------------------------------------------------------------
# Feed, sitemap, robots.txt, error pages


def test_feed_lists_status_changes_without_editors_or_internal_notes(client, home_essay, verified, verdict_author):
    response = client.get("/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = response.content.decode()
    assert f"{FUJI}: {label(Status.PENDING)} → {label(Status.VERIFIED)}" in feed
    assert f"/claims/{verified.pk}/#change-" in feed
    assert "公的資料で確認" in feed
    assert verdict_author.username not in feed
    assert SECRET not in feed


def test_sitemap_lists_published_articles_and_public_claims(client, home_essay, verified):
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "<loc>http://testserver/</loc>" in sitemap
    assert f"<loc>http://testserver/claims/{verified.pk}/</loc>" in sitemap
    # The article, its public claims, and the two indexes (articles, claims); no tag is in use here.
    assert sitemap.count("<loc>") == 1 + home_essay.claims.filter(is_claim=True).count() + 2


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("favicon.svg")


def test_missing_page_is_the_sites_own_404(client, home_essay):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'class="error-page"' in page and 'class="site-header"' in page


def test_500_page_renders_without_a_request():
    page = render_to_string("500.html")
    assert "<h1>" in page and "{%" not in page


# ---------------------------------------------------------------------------------------------
# Languages


def test_language_switch_gives_the_english_site(client, home_essay, outdated):
    page = html(client.get("/"))
    assert '<html lang="ja">' in page
    assert 'action="/i18n/setlang/"' in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    page = html(response)
    assert '<html lang="en">' in page
    assert "All claims" in page
    assert label(Status.OUTDATED, "en") in page
    assert '<div class="essay-body" id="essay-body" lang="ja">' in page  # the essay stays Japanese
    assert f'href="{outdated.get_absolute_url()}" lang="en"' in page  # and its badges are English


# ---------------------------------------------------------------------------------------------
# Nothing internal and nothing inline on public pages


class InlineCodeFinder(HTMLParser):
    """Collects what a strict Content-Security-Policy would block: inline scripts, styles, handlers."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
        if tag == "style":
            self.problems.append("<style>")
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/ld+json":
            self.problems.append("inline <script>")
        if tag == "a" and (attrs.get("href") or "").strip().lower().startswith("javascript:"):
            self.problems.append("javascript: link")


def public_urls(article, claim):
    tag = claim.tags.get()
    return ["/", "/?focus=issues", claim.get_absolute_url(), "/claims/", "/claims/?q=首都", f"/tags/{tag.slug}/"]


def test_public_pages_have_no_inline_script_style_or_handler(client, home_essay, verified, outdated):
    verified.tags.add("地理")
    for url in [*public_urls(home_essay, verified), "/nope/"]:
        finder = InlineCodeFinder()
        finder.feed(client.get(url).content.decode())
        assert finder.problems == [], (url, finder.problems)


def test_internal_notes_and_editor_names_never_reach_readers(client, home_essay, verified, verdict_author):
    verified.tags.add("地理")
    urls = [*public_urls(home_essay, verified), f"/claims/?q={SECRET[:4]}", "/feed/", "/sitemap.xml"]
    for language in ("ja", "en"):
        client.cookies["django_language"] = language
        for url in urls:
            body = client.get(url).content.decode()
            assert SECRET not in body, url
            assert verdict_author.username not in body, url


@pytest.mark.django_db
def test_japanese_is_the_default_whatever_the_browser_language(client):
    make_article(slug="hundred-model-war")
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "ja"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="ja")["Content-Language"] == "en"


# ---------------------------------------------------------------------------------------------
# Small things readers meet


def test_the_tags_index_lists_the_public_tags_with_their_counts(client, home_essay, verified):
    verified.tags.add("地理")
    hidden = make_article(slug="draft", published=False)
    claim_for(hidden, "富士山は日本一高い山です。").tags.add("下書きだけ")
    response = client.get("/tags/")
    assert response.status_code == 200
    page = html(response)
    assert "地理" in page and "下書きだけ" not in page
    tag = verified.tags.get()
    assert f'href="{reverse("claims:tag", args=[tag.slug])}"' in page


def test_the_essays_date_is_its_own_not_the_day_it_was_loaded(client):
    call_command("load_essay", stdout=io.StringIO())
    essay = Article.objects.get(slug="hundred-model-war")
    assert timezone.localdate(essay.published_at) == datetime.date(2023, 10, 1)
    listing = html(client.get(reverse("claims:article_list")))
    assert '<time datetime="2023-10-01">' in listing
    [node] = [g for g in json_ld_of(html(client.get("/"))) if g.get("@type") == "Article"]
    assert node["datePublished"].startswith("2023-10-01")


def json_ld_of(page):
    return [
        json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    ]
