"""The publication as a reader meets it (issue 15): every evidence link readable, the verdict
history under its own words."""

import re

import pytest
from django.test import Client

from claims.models import Claim, Evidence
from claims.tests.factories import add_evidence, claim_for, make_article, make_status

pytestmark = pytest.mark.django_db
FUJI = "富士山は日本一高い山です。"


@pytest.fixture
def published_claim(home_article):
    """The verified claim as a reader meets it: a titled link, one named by its publisher only, a bare one."""
    claim = claim_for(home_article, FUJI)
    add_evidence(claim, title="国土地理院の資料", url="https://www.gsi.go.jp/a")
    add_evidence(claim, title="", publisher="日本経済新聞", url="https://www.nikkei.com/b")
    add_evidence(claim, title="", publisher="", url="https://www.example.org/c?x=1", stance=Evidence.Stance.CONTEXT)
    make_status(claim, Claim.Status.VERIFIED, note="資料で確認。")
    return claim


def link_texts(page):
    return {
        href: re.sub(r"<[^>]+>", "", text).strip()
        for href, text in re.findall(r'<a[^>]*href="(https://[^"]+)"[^>]*>(.*?)</a>', page)
    }


def test_every_evidence_link_on_the_claim_page_has_words(published_claim):
    page = Client(raise_request_exception=False).get(published_claim.get_absolute_url()).content.decode()
    links = link_texts(page)
    assert links["https://www.gsi.go.jp/a"] == "国土地理院の資料"
    assert links["https://www.nikkei.com/b"] == "日本経済新聞"
    assert links["https://www.example.org/c?x=1"] == "example.org"
    assert '<a class="evidence-title" href="https://www.nikkei.com/b"></a>' not in page


def test_every_evidence_link_in_the_badge_popover_has_words(published_claim):
    page = Client(raise_request_exception=False).get("/").content.decode()
    links = link_texts(page)
    assert links["https://www.nikkei.com/b"] == "日本経済新聞"
    assert links["https://www.example.org/c?x=1"] == "example.org"
    assert not any(text == "" for text in links.values())


# ---------------------------------------------------------------------------------------------
# Search as Japanese readers type

SEARCH_BODY = (
    "## 各社\n\n"
    "NECは独自のモデルを発表した。\n\n"
    "MetaのLLaMAは公開された。\n\n"
    "ファルコンはUAEのモデルである。\n\n"
    "ＳｏｆｔＢａｎｋも参入した。\n"
)


@pytest.fixture
def searchable():
    return make_article(slug="search-test", body=SEARCH_BODY)


def found(response):
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    return {
        name
        for name, sentence in [
            ("nec", "NECは独自"),
            ("llama", "MetaのLLaMA"),
            ("falcon", "ファルコンは"),
            ("softbank", "ＳｏｆｔＢａｎｋ"),
        ]
        if sentence in page
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ＮＥＣ", {"nec"}),
        ("nec", {"nec"}),
        ("ｌｌａｍａ", {"llama"}),
        ("ﾌｧﾙｺﾝ", {"falcon"}),
        ("softbank", {"softbank"}),  # the text is full-width, the query half-width
        ("ﾓﾃﾞﾙ", {"nec", "falcon"}),
    ],
)
def test_search_folds_full_and_half_width_forms(searchable, query, expected):
    assert found(Client().get("/claims/", {"q": query})) == expected


def test_an_unknown_filter_value_is_ignored_on_its_own(searchable):
    assert found(Client().get("/claims/", {"q": "NEC", "status": "no-such-status", "tag": "nope"})) == {"nec"}


# ---------------------------------------------------------------------------------------------
# A publication has articles


@pytest.fixture
def essays(published_claim):
    from django.utils import timezone

    home = published_claim.article
    Article = type(home)
    Article.objects.filter(pk=home.pk).update(
        title="AI百モデル大戦", lead="2023年の大規模言語モデル競争。", published_at=timezone.now()
    )
    second = make_article(slug="second-essay", title="二本目の記事", lead="二本目のリード。")
    draft = make_article(slug="draft-essay", title="下書きの記事", lead="まだ公開しない。", published=False)
    return {"home": home, "second": second, "draft": draft}


def test_the_article_list_shows_each_published_article_with_its_claims_by_status(essays):
    from django.utils import translation

    response = Client(raise_request_exception=False).get("/articles/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<a href="/">AI百モデル大戦</a>' in page  # the home essay's address is /
    assert '<a href="/articles/second-essay/">二本目の記事</a>' in page
    assert "2023年の大規模言語モデル競争。" in page and "二本目のリード。" in page
    assert "下書きの記事" not in page
    cards = page.split('class="article-card"')[1:]
    home_card = next(card for card in cards if "AI百モデル大戦" in card)
    with translation.override("ja"):
        verified = str(Claim.Status.VERIFIED.label)
    assert verified in home_card and '<time datetime="' in home_card
    # The header's 記事 link goes to the list.
    assert re.search(r'<nav class="site-nav".*?<a href="/articles/" aria-current="page">', page, re.S)


def test_the_home_essay_at_its_article_address_names_the_home_page_as_canonical(essays):
    page = Client().get("/articles/hundred-model-war/").content.decode()
    assert '<link rel="canonical" href="http://testserver/">' in page
    page = Client().get("/articles/second-essay/").content.decode()
    assert '<link rel="canonical" href="http://testserver/articles/second-essay/">' in page


@pytest.mark.parametrize("path", ["/", "/articles/", "/claims/", "claim", "tag"])
def test_every_page_has_a_description_and_a_card_for_shared_links(essays, published_claim, path):
    published_claim.tags.add("地理")
    if path == "claim":
        path = published_claim.get_absolute_url()
    elif path == "tag":
        path = f"/tags/{published_claim.tags.get().slug}/"
    page = Client().get(path).content.decode()
    head = page[: page.index("</head>")]
    for name in ("og:title", "og:description", "og:url", "og:type", "og:site_name"):
        assert f'<meta property="{name}" content="' in head, name
    for name in ("twitter:card", "twitter:title", "twitter:description", "description"):
        assert f'<meta name="{name}" content="' in head, name
    assert head.count('<meta name="description"') == 1
    assert not re.search(r'<meta (?:name|property)="[^"]+" content="">', head)


def test_the_claim_pages_card_names_the_statement_and_its_verdict(published_claim):
    page = Client().get(published_claim.get_absolute_url()).content.decode()
    assert f'<meta property="og:title" content="{FUJI}">' in page
    assert '<meta property="og:description" content="' in page and "資料で確認。" in page


def test_the_sitemap_lists_the_index_the_articles_and_the_tag_pages(essays, published_claim):
    from django.utils.encoding import iri_to_uri

    published_claim.tags.add("地理")
    xml = Client().get("/sitemap.xml").content.decode()
    locations = set(re.findall(r"<loc>(.*?)</loc>", xml))
    assert {
        "http://testserver/",
        "http://testserver/articles/",
        "http://testserver/claims/",
        "http://testserver/articles/second-essay/",
        iri_to_uri(f"http://testserver/tags/{published_claim.tags.get().slug}/"),
        f"http://testserver{published_claim.get_absolute_url()}",
    } <= locations
    assert not any("draft-essay" in location for location in locations)


def test_staff_preview_a_draft_with_a_banner_readers_get_404_and_nothing_is_stored(essays):
    from claims.tests.factories import make_user

    url = "/articles/draft-essay/"
    reader = Client(raise_request_exception=False)
    assert reader.get(url).status_code == 404
    editor = Client(raise_request_exception=False)
    editor.force_login(make_user("hanako", groups=["Editors"]))
    response = editor.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="draft-banner"' in page and "下書きの記事" in page
    assert '<meta name="robots" content="noindex">' in page
    assert "no-store" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    # Neither the stored pages nor a reader after the editor see it.
    assert reader.get(url).status_code == 404
    assert "下書きの記事" not in reader.get("/articles/").content.decode()
    assert "draft-essay" not in reader.get("/feed/").content.decode()


# ---------------------------------------------------------------------------------------------
# Words, dates and the error pages


def test_the_english_switch_says_it_translates_the_interface(published_claim):
    page = Client().get("/").content.decode()
    assert re.search(r'<button type="submit" name="language" value="en" lang="en">English \(interface\)</button>', page)


def test_the_legend_explains_a_sentence_without_a_badge(published_claim):
    page = Client().get("/").content.decode()
    legend = page[page.index('class="claim-summary"') :]
    assert 'class="legend-unmarked"' in legend[: legend.index("</section>")]


def test_a_sources_date_reads_like_every_other_date(published_claim):
    from django.utils import translation

    from claims.templatetags.claims_tags import partial_date

    Evidence.objects.filter(claim=published_claim, publisher="日本経済新聞").update(published="2023-10-05")
    client = Client()
    client.cookies["django_language"] = "ja"
    page = client.get(published_claim.get_absolute_url()).content.decode()
    assert "2023年10月5日" in page and "2023-10-05" not in page
    with translation.override("ja"):
        assert partial_date("2023-10") == "2023年10月"
        assert partial_date("not a date") == "not a date"


@pytest.mark.parametrize("template", ["500.html", "503.html"])
def test_the_error_pages_carry_the_sites_look(template):
    from django.template.loader import render_to_string
    from django.templatetags.static import static

    page = render_to_string(template, {"retry_after": 30})
    assert f'<link rel="stylesheet" href="{static("css/site.css")}">' in page
    assert 'class="site-header"' in page


def test_dark_mode_text_over_the_outdated_highlight_reaches_aa_contrast():
    from django.contrib.staticfiles import finders

    def luminance(colour):
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    with open(finders.find("css/site.css"), encoding="utf-8") as file:
        css = file.read()
    dark = css[css.index("@media (prefers-color-scheme: dark)") :]
    text = re.search(r"--text: (#[0-9a-f]{6})", dark).group(1)
    highlight = re.search(r"--outdated-line: (#[0-9a-f]{6})", dark).group(1)
    lighter, darker = sorted((luminance(text), luminance(highlight)), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5
