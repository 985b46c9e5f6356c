"""Hostile input: markup, event handlers, script URLs, over-long and invisible text.

The rule, the same everywhere:
- Markup and quotes are text. They are accepted (an essay may quote HTML) and every page, the
  feed, the JSON-LD and the admin show them escaped: no element, attribute or script comes of it.
- Links are web links: ``javascript:``, ``data:`` and every scheme but http(s) are refused in
  evidence URLs and archived copies, in forms and in the model (the database refuses them too).
- Invisible characters that change what is seen (C0/C1 controls but tab and line breaks, the
  bidirectional overrides and isolates U+202A–U+202E, U+2066–U+2069) are refused on input in
  every field readers or editors see, with the position of the first one.
- Over-long text is refused with the field's limit.
"""

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from taggit.models import Tag

from claims import services
from claims.models import Article, Claim, Evidence, StatusChange
from claims.roles import CHIEF_EDITORS, EDITORS
from claims.tests.factories import make_article, make_user, page_data

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("s")</script>'
IMG = "<img src=x onerror=alert(1)>"
SVG = "<svg/onload=alert(2)>"
BREAKOUT = "</script><script>alert(3)</script>"
ATTR = 'x" onmouseover="alert(4)" y=\''
PAYLOADS = [SCRIPT, IMG, SVG, BREAKOUT, ATTR]
HOSTILE_BODY = (
    f"## 見出し{SCRIPT}\n\n"
    f"{SCRIPT}は危険です。{IMG}も危険です。{SVG}も危険です。\n\n"
    f"{BREAKOUT}で抜け出せますか。最後に{ATTR}です。\n"
)
EVIL_URL = 'https://example.com/?q="><script>alert(5)</script>&x=<img src=x onerror=alert(6)>'
TAG_NAMES = [SCRIPT, ATTR]
INVISIBLE = {
    "NUL": "\x00",
    "ESC": "\x1b[31m",
    "BEL": "\x07",
    "DEL": "\x7f",
    "C1": "\x85",
    "RLO": "\u202e",
    "LRE": "\u202a",
    "RLI": "\u2067",
    "PDI": "\u2069",
}


class Inspector(HTMLParser):
    """Collects what would run or navigate in a page: scripts, handlers, script-ish URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.json_ld = []
        self.text = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and value:
                scheme = value.strip().lower().replace("\t", "").replace("\n", "")
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append(f"<{tag} {name}={value[:40]}>")
        if tag == "script":
            kind = dict(attrs).get("type") or ""
            if kind == "application/ld+json":
                self._script = []
            elif not dict(attrs).get("src"):
                self.problems.append("inline <script>")
        if tag in {"iframe", "object", "embed", "base"}:
            self.problems.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.json_ld.append("".join(self._script))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        else:
            self.text.append(data)


def inspect(html):
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector


def assert_inert(html, *, expect_text=()):
    page = inspect(html)
    assert page.problems == []
    for payload in (SCRIPT, IMG, SVG, BREAKOUT):
        assert payload not in html, f"unescaped {payload!r}"
    assert 'onmouseover="alert(4)"' not in html
    shown = "".join(page.text)
    for expected in expect_text:
        assert expected in shown
    data = [json.loads(block) for block in page.json_ld]  # every JSON-LD block is valid JSON
    return page, data


@pytest.fixture
def hostile(db):
    """A published article, claims, evidence, notes, tags and history made of hostile text."""
    article = make_article(slug="hostile", title=f"記事{SCRIPT}", lead=f"リード{IMG}", body=HOSTILE_BODY)
    editor = make_user("mallory")
    claims = list(article.claims.order_by("position"))
    for i, claim in enumerate(claims):
        claim.verdict_note = f"判定{PAYLOADS[i % len(PAYLOADS)]}"
        claim.internal_note = f"内部{SCRIPT}"
        claim.save()
        claim.tags.add(*TAG_NAMES)
        Evidence.objects.create(
            claim=claim,
            url=EVIL_URL,
            title=f"出典{PAYLOADS[(i + 1) % len(PAYLOADS)]}",
            publisher=f"発行{ATTR}",
            excerpt=f"抜粋{BREAKOUT}",
            archive_url=EVIL_URL,
            stance=Evidence.Stance.SUPPORTS,
        )
        services.claim_change_status(
            claim=claim, to=Claim.Status.VERIFIED, note=f"履歴{SVG}", user=editor, via=StatusChange.Via.ADMIN
        )
    return article


def test_hostile_text_is_inert_on_every_public_page(client, hostile, settings):
    settings.HOME_ARTICLE_SLUG = "hostile"
    claim = hostile.claims.order_by("position").first()
    tag = Tag.objects.get(name=SCRIPT)
    pages = {
        "/": [SCRIPT, IMG],
        f"/articles/{hostile.slug}/": [SCRIPT],
        "/claims/": [SCRIPT],
        f"/claims/{claim.pk}/": [SCRIPT, "出典"],
        f"/tags/{tag.slug}/": [SCRIPT],
    }
    for path, expected in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert_inert(html, expect_text=expected)
        # Hrefs keep the hostile URL as an escaped attribute value, never a new element.
        if path.startswith("/claims/") and path != "/claims/":
            assert 'href="https://example.com/?q=&quot;&gt;&lt;script&gt;' in html


def test_json_ld_carries_hostile_text_as_data(client, hostile):
    claim = hostile.claims.order_by("position").first()
    html = client.get(f"/claims/{claim.pk}/").content.decode()
    page, data = assert_inert(html)
    assert data, "the claim page has JSON-LD"
    dumped = json.dumps(data, ensure_ascii=False)
    assert "alert" in dumped  # the text is there, as data
    for block in page.json_ld:
        assert "<" not in block and ">" not in block  # nothing that could close the element


def test_feed_and_sitemap_are_well_formed_with_hostile_text(client, hostile):
    feed = client.get("/feed/")
    assert feed.status_code == 200
    root = ET.fromstring(feed.content)  # well-formed XML whatever the text
    atom = "{http://www.w3.org/2005/Atom}"
    entries = root.findall(f"{atom}entry") or root.findall(".//item")
    assert entries
    titles = " ".join(entry.findtext(f"{atom}title") or entry.findtext("title") or "" for entry in entries)
    assert "alert" in titles  # the statement is kept, as text
    for entry in entries:
        summary = entry.find(f"{atom}summary")
        if summary is None:
            summary = entry.find("description")
        assert summary is not None
        # An HTML summary is HTML to a feed reader: the editors' text in it must be escaped.
        html = summary.text or ""
        if summary.get("type", "html") == "html":
            assert inspect(html).problems == [] and "<svg" not in html and "<script" not in html, html
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200
    ET.fromstring(sitemap.content)
    assert b"<script" not in sitemap.content


def test_hostile_text_is_inert_in_the_admin(client, hostile):
    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    claim = hostile.claims.order_by("position").first()
    urls = [
        reverse("admin:claims_claim_changelist"),
        reverse("admin:claims_claim_change", args=[claim.pk]),
        reverse("admin:claims_reviewqueueitem_changelist"),
        reverse("admin:claims_article_change", args=[hostile.pk]),
        reverse("admin:claims_article_changelist"),
        reverse("admin:claims_statuschange_changelist"),
        reverse("admin:taggit_tag_changelist"),
        reverse("admin:claims_claim_history", args=[claim.pk]),
    ]
    for url in urls:
        html = client.get(url).content.decode()
        for payload in (SCRIPT, IMG, SVG, BREAKOUT):
            assert payload not in html, (url, payload)
        assert 'onmouseover="alert(4)"' not in html, url


def test_script_and_data_urls_are_refused_in_evidence(client, hostile):
    client.force_login(make_user("hanako", groups=[EDITORS]))
    claim = hostile.claims.order_by("position").first()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    for bad in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "file:///etc/passwd",
        "ftp://example.com/x",
    ]:
        for field in ("url", "archive_url"):
            data = {**page_data(client.get(url)), f"evidence-0-{field}": bad}
            response = client.post(url, data)
            assert response.status_code == 200, (field, bad)
            assert response.context["inline_admin_formsets"][0].formset.errors[0][field], (field, bad)
    for bad in ["javascript:alert(1)", "data:text/html,x"]:
        evidence = Evidence(claim=claim, url=bad, title="x")
        with pytest.raises(ValidationError):
            evidence.full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            Evidence.objects.create(claim=claim, url=bad, title="x")  # the database refuses it too


@pytest.mark.parametrize("name", list(INVISIBLE))
def test_invisible_characters_are_refused_in_every_field_people_see(name):
    char = INVISIBLE[name]
    article = make_article(slug=f"clean-{ord(char[0])}")
    claim = article.claims.first()
    cases = [
        (Article, {"title": f"題{char}名"}, article),
        (Article, {"lead": f"リード{char}"}, article),
        (Article, {"body": f"本文{char}です。"}, article),
        (Claim, {"statement": f"文{char}です。"}, claim),
        (Claim, {"verdict_note": f"判定{char}"}, claim),
        (Claim, {"internal_note": f"内部{char}"}, claim),
        (Evidence, {"title": f"出典{char}"}, None),
        (Evidence, {"publisher": f"発行{char}"}, None),
        (Evidence, {"excerpt": f"抜粋{char}"}, None),
        (Evidence, {"url": f"https://example.com/{char}x"}, None),
    ]
    for model, fields, instance in cases:
        if instance is None:
            instance = Evidence(claim=claim, url="https://example.com/", title="ok")
        for key, value in fields.items():
            setattr(instance, key, value)
        with pytest.raises(ValidationError) as error:
            instance.full_clean()
        field = next(iter(fields))
        assert field in error.value.message_dict, (model.__name__, field)
        instance.refresh_from_db() if instance.pk else None


def test_the_refusal_says_which_character_and_where(client):
    article = make_article()
    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    url = reverse("admin:claims_article_change", args=[article.pk])
    data = {"title": "abc\u202egpj.exe", "slug": article.slug, "body": article.body, "language": "ja"}
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["title"]
    assert "U+202E" in errors[0] and "4" in errors[0]
    article.refresh_from_db()
    assert article.title == "テスト記事"


def test_tabs_line_breaks_and_direction_marks_are_fine():
    article = make_article(body="一行目です。\r\n\t二行目\u200fです。\n", claims=False)
    article.lead = "タブ\tと改行\r\n"
    article.full_clean()


def test_invisible_characters_in_tag_names_are_refused(client):
    article = make_article()
    claim = article.claims.first()
    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    response = client.post(url, {**page_data(client.get(url)), "tags": "ok, evil\u202eevil"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["tags"]
    assert not Tag.objects.exists()
    response = client.post(reverse("admin:taggit_tag_add"), {"name": "bad\x1bname", "slug": "bad"})
    assert response.status_code == 200 and not Tag.objects.exists()


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        (Claim, "statement", 2000),
        (Claim, "verdict_note", 4000),
        (Claim, "internal_note", 4000),
        (Evidence, "title", 300),
        (Evidence, "publisher", 200),
        (Evidence, "excerpt", 1000),
        (Evidence, "url", 2000),
        (Article, "title", 200),
        (Article, "lead", 2000),
    ],
)
def test_over_long_text_is_refused_with_the_limit(model, field, limit):
    article = make_article(slug=f"long-{model.__name__}-{field}".lower().replace("_", "-"))
    claim = article.claims.first()
    instance = {Claim: claim, Article: article}.get(model) or Evidence(
        claim=claim, url="https://example.com/", title="ok"
    )
    value = "https://example.com/" + "a" * limit if field == "url" else "長" * (limit + 1)
    setattr(instance, field, value)
    with pytest.raises(ValidationError) as error:
        instance.full_clean()
    assert field in error.value.message_dict
    assert str(limit) in " ".join(error.value.message_dict[field])


def test_a_very_long_paragraph_and_claim_page_still_render(client, settings):
    sentence = "長" * 1990 + "。"
    article = make_article(slug="long", body=f"{sentence}{sentence}\n", published=True)
    settings.HOME_ARTICLE_SLUG = "long"
    assert client.get("/").status_code == 200
    assert client.get(f"/claims/{article.claims.first().pk}/").status_code == 200
