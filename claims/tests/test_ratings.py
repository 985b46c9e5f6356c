"""Ratings within each status: the scale, its rules, the CSV column, ClaimReview and the pages."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from claims import services
from claims.csv import exporting, importing
from claims.csv import format as csvformat
from claims.models import Claim, Evidence, Rating, RatingScale, StatusChange
from claims.tests.factories import (
    FUJI,
    LAST,
    SOURCE_CELL,
    TOKYO,
    add_evidence,
    claim_for,
    csv_bytes,
    csv_row,
    make_article,
    make_scales,
    rating,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Claim.Status
REFUTES_CELL = "refutes | https://example.com/other | 別の資料 | 出版社 | 2024"
FIJ_CODES = [
    "accurate",
    "mostly_accurate",
    "misleading",
    "inaccurate",
    "unfounded",
    "false",
    "fabricated",
    "on_hold",
    "not_applicable",
]


@pytest.fixture
def scales():
    return make_scales()


@pytest.fixture
def rated_article(scales, article_without_claims):
    """The article before its claims were made, on the rating scales as the migration seeds them."""
    return article_without_claims


def export_rows(queryset=None):
    out = io.StringIO(newline="")
    exporting.write_csv(out, exporting.claim_rows(queryset))
    return out.getvalue().encode("utf-8")


def cells_by_statement(data):
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header = rows[0]
    return {row[header.index("statement")]: dict(zip(header, row, strict=True)) for row in rows[1:]}


# ---------------------------------------------------------------------------------------------
# The scale as the migration seeds it


def test_the_fij_scale_is_active_with_its_nine_ratings_and_jfc_five_is_there_inactive(scales):
    assert RatingScale.objects.active() == scales
    assert list(scales.ratings.values_list("code", flat=True)) == FIJ_CODES
    assert scales.source_url == "https://fij.info/introduction/rating" and "FIJ" in scales.source_name
    by_code = {r.code: r for r in scales.ratings.all()}
    assert (by_code["mostly_accurate"].label_ja, by_code["mostly_accurate"].status) == ("ほぼ正確", "verified")
    assert (by_code["misleading"].label_ja, by_code["misleading"].review_value) == ("ミスリード", 3)
    assert by_code["unfounded"].review_value is None and by_code["on_hold"].review_value is None
    assert by_code["not_applicable"].status == Rating.NOT_A_CLAIM
    assert {c for c, r in by_code.items() if r.review_value == 1} == {"false", "fabricated"}
    jfc = RatingScale.objects.get(name__startswith="JFC")
    assert not jfc.is_active
    assert sorted(jfc.ratings.values_list("label_ja", flat=True)) == sorted(
        ["正確", "ほぼ正確", "根拠不明", "不正確", "誤り"]
    )


def test_claims_start_unrated(rated_article):
    services.article_create_claims(article=rated_article)
    assert rated_article.claims.exists() and not Claim.objects.filter(rating__isnull=False).exists()


# ---------------------------------------------------------------------------------------------
# The rules, with the status


def decide(claim, status, code=None, note="", stance=Evidence.Stance.SUPPORTS):
    add_evidence(claim, stance=stance, url=f"https://example.com/{status}-{claim.pk}")
    return services.claim_change_status(
        claim=claim,
        to=status,
        via=StatusChange.Via.COMMAND,
        verdict_note=note,
        rating=rating(code) if code else None,
    )


def refused(claim, **values):
    change = services.ClaimChange(claim=claim, values=values)
    return [p.message for p in services.claims_check(changes=[change]).problems]


def test_a_rating_belongs_to_the_family_of_its_status(rated_article):
    services.article_create_claims(article=rated_article)
    claim = claim_for(rated_article, FUJI)
    add_evidence(claim)
    add_evidence(claim, stance=Evidence.Stance.REFUTES, url="https://example.com/no")
    assert refused(claim, status=Status.VERIFIED, rating=rating("false"), verdict_note="x")
    assert refused(claim, status=Status.DISPUTED, rating=rating("accurate"), verdict_note="x")
    assert refused(claim, status=Status.UNSUPPORTED, rating=rating("misleading"), verdict_note="x")
    assert refused(claim, status=Status.PENDING, rating=rating("accurate"))
    assert refused(claim, status=Status.VERIFIED, rating=rating("not_applicable"))
    assert not refused(claim, status=Status.VERIFIED, rating=rating("accurate"))
    assert not refused(claim, status=Status.DISPUTED, rating=rating("false"), verdict_note="反証あり。")
    assert not refused(claim, status=Status.UNSUPPORTED, rating=rating("unfounded"), verdict_note="探した。")
    # An outdated claim keeps the rating of what it was when written: verified or disputed.
    outdated = {"status": Status.OUTDATED, "as_of": "2020-01-01", "verdict_note": "その後変わった。"}
    assert not refused(claim, rating=rating("accurate"), **outdated)
    assert not refused(claim, rating=rating("inaccurate"), **outdated)
    assert refused(claim, rating=rating("on_hold"), **outdated)


def test_mostly_accurate_misleading_and_inaccurate_need_a_note_naming_the_caveat(rated_article):
    services.article_create_claims(article=rated_article)
    claim = claim_for(rated_article, FUJI)
    add_evidence(claim)
    problems = refused(claim, status=Status.VERIFIED, rating=rating("mostly_accurate"), verdict_note="")
    assert problems == ["“Mostly accurate” needs a verdict note that names the caveat or the missing context."]
    assert not refused(
        claim, status=Status.VERIFIED, rating=rating("mostly_accurate"), verdict_note="高さは測量年で違う。"
    )


def test_a_reworded_claim_goes_back_to_unverified_without_its_rating(rated_article):
    services.article_create_claims(article=rated_article)
    claim = claim_for(rated_article, FUJI)
    decide(claim, Status.VERIFIED, "accurate")
    services.article_update(
        article=rated_article, body=rated_article.body.replace(FUJI, "富士山は日本で一番高い山です。")
    )
    claim.refresh_from_db()
    assert claim.status == Status.PENDING and claim.rating is None


# ---------------------------------------------------------------------------------------------
# The CSV column


def test_csv_rating_column_takes_japanese_labels_and_round_trips_exactly(rated_article):
    data = csv_bytes(
        [
            csv_row(
                statement=FUJI,
                status="検証済み",
                rating="ほぼ正確",
                verdict_note="標高は測量の年で数十センチ違う。",
                evidence=SOURCE_CELL,
            ),
            csv_row(
                statement=TOKYO,
                status="disputed",
                rating="ミスリード",
                verdict_note="法律上の首都の定めはない。",
                evidence=REFUTES_CELL,
            ),
            csv_row(statement=LAST, status="verified", rating="ａｃｃｕｒａｔｅ", evidence=SOURCE_CELL),
        ]
    )
    report = importing.import_bytes(data)
    assert [str(e) for e in report.errors] == []
    fuji, tokyo, last = (claim_for(rated_article, s) for s in (FUJI, TOKYO, LAST))
    assert (fuji.rating.code, tokyo.rating.code, last.rating.code) == ("mostly_accurate", "misleading", "accurate")
    exported = export_rows()
    cells = cells_by_statement(exported)
    assert [cells[s]["rating"] for s in (FUJI, TOKYO, LAST)] == ["mostly_accurate", "misleading", "accurate"]
    # The export imports back unchanged, and exports again byte for byte.
    again = importing.import_bytes(exported)
    assert again.errors == [] and again.counts[importing.UNCHANGED] == 3
    assert export_rows() == exported


def test_csv_rating_unknown_or_of_the_wrong_family_is_a_row_and_column_error(rated_article):
    data = csv_bytes(
        [
            csv_row(statement=FUJI, status="verified", rating="たぶん正しい", evidence=SOURCE_CELL),
            csv_row(statement=TOKYO, status="verified", rating="誤り", evidence=SOURCE_CELL),
        ]
    )
    report = importing.import_bytes(data)
    messages = [str(e) for e in report.errors]
    assert messages[0].startswith("row 2, column rating: Unknown rating “たぶん正しい”: write one of accurate,")
    assert "正確, ほぼ正確" in messages[0]
    assert messages[1] == "row 3, column rating: The rating “False” belongs to claims that are disputed, not verified."
    assert not Claim.objects.exists()


def test_csv_without_the_rating_column_leaves_ratings_as_they_are(rated_article):
    services.article_create_claims(article=rated_article)
    claim = claim_for(rated_article, FUJI)
    decide(claim, Status.VERIFIED, "accurate")
    header = [c for c in csvformat.COLUMNS if c not in ("rating", "evidence")]
    data = csv_bytes([csv_row(id=claim.pk, statement=FUJI, status="verified", verdict_note="確認。")], header=header)
    report = importing.import_bytes(data)
    assert report.errors == []
    claim.refresh_from_db()
    assert claim.rating.code == "accurate" and claim.verdict_note == "確認。"


# ---------------------------------------------------------------------------------------------
# ClaimReview


def json_ld(client, claim):
    import json
    import re

    page = client.get(claim.get_absolute_url()).content.decode()
    graph = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    return {node["@type"]: node for node in graph["@graph"]}


def rate_every_way(article):
    """One claim per sentence, each rated differently: (claim, code) pairs."""
    services.article_create_claims(article=article)
    plan = [
        (FUJI, Status.VERIFIED, "mostly_accurate", Evidence.Stance.SUPPORTS),
        (TOKYO, Status.DISPUTED, "misleading", Evidence.Stance.REFUTES),
        (LAST, Status.DISPUTED, "false", Evidence.Stance.REFUTES),
        ("本当でしょうか?", Status.UNSUPPORTED, "unfounded", Evidence.Stance.CONTEXT),
    ]
    rated = []
    for statement, status, code, stance in plan:
        claim = claim_for(article, statement)
        decide(claim, status, code, note="但し書き: 文脈が欠けている。", stance=stance)
        rated.append((claim, code))
    return rated


def test_claimreview_publishes_the_rating_label_and_the_worst_value_only_for_false(client, rated_article):
    for claim, code in rate_every_way(rated_article):
        rating_node = json_ld(client, claim)["ClaimReview"]["reviewRating"]
        assert rating_node["alternateName"] == Rating.objects.get(scale__is_active=True, code=code).label_ja
        if code == "false":
            assert (rating_node["ratingValue"], rating_node["worstRating"]) == (1, 1)
        elif code == "unfounded":
            assert "ratingValue" not in rating_node and "worstRating" not in rating_node
        else:
            assert 1 < rating_node["ratingValue"] < rating_node["bestRating"] == 5, code


def test_claimreview_json_gives_the_worst_value_only_to_false_and_fabricated(client, rated_article):
    rate_every_way(rated_article)
    other = claim_for(rated_article, TOKYO, 1)
    decide(other, Status.DISPUTED, None, note="反証あり。", stance=Evidence.Stance.REFUTES)  # disputed, unrated
    feed = client.get("/claimreview.json").json()
    reviews = {e["item"][0]["itemReviewed"]["url"]: e["item"][0]["reviewRating"] for e in feed["dataFeedElement"]}
    assert len(reviews) == 5
    worst = [r["alternateName"] for r in reviews.values() if r.get("ratingValue") == r.get("worstRating") is not None]
    assert worst == ["誤り"]
    assert "ratingValue" not in reviews["http://testserver" + other.get_absolute_url()]


# ---------------------------------------------------------------------------------------------
# Switching scales in the admin, without code


def test_switching_to_jfc_five_in_the_admin_makes_csv_api_and_claimreview_follow(client, rated_article):
    from claims.tests.factories import make_user
    from claims.tests.pages import page_form, post_data

    services.article_create_claims(article=rated_article)
    root = make_user("root", superuser=True)
    client.force_login(root)
    jfc = RatingScale.objects.get(name__startswith="JFC")
    url = f"/admin/claims/ratingscale/{jfc.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page_form(page, having="name")
    saved = client.post(url, post_data(form, is_active="on", _save="Save"), follow=True)
    assert saved.status_code == 200
    assert RatingScale.objects.active() == jfc
    assert RatingScale.objects.filter(is_active=True).count() == 1
    # The CSV now takes JFC's ratings (不正確 for a misleading claim) and refuses FIJ's ミスリード.
    data = csv_bytes(
        [
            csv_row(
                statement=TOKYO,
                status="disputed",
                rating="不正確",
                verdict_note="文脈が欠けている。",
                evidence=REFUTES_CELL,
            ),
            csv_row(statement=FUJI, status="verified", rating="accurate", evidence=SOURCE_CELL),
        ]
    )
    assert [str(e) for e in importing.import_bytes(data).errors] == []
    tokyo, fuji = claim_for(rated_article, TOKYO), claim_for(rated_article, FUJI)
    assert tokyo.rating.scale == jfc and fuji.rating.scale == jfc
    refused = importing.import_bytes(
        csv_bytes([csv_row(id=tokyo.pk, statement=TOKYO, status="disputed", rating="ミスリード")])
    )
    assert refused.errors and refused.errors[0].column == "rating"
    # ClaimReview: JFC's numbers (正確 4 of 4, 不正確 2).
    review = json_ld(client, fuji)["ClaimReview"]["reviewRating"]
    assert (review["alternateName"], review["ratingValue"], review["bestRating"], review["worstRating"]) == (
        "正確",
        4,
        4,
        1,
    )
    assert json_ld(client, tokyo)["ClaimReview"]["reviewRating"]["ratingValue"] == 2
    # The API names the rating and its scale.
    api = client.get(reverse("api:claim", kwargs={"id": tokyo.pk})).json()
    assert api["rating"]["code"] == "inaccurate" and api["rating"]["scale"] == jfc.name
    # The export writes the code, and the file round-trips.
    exported = export_rows()
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"), newline="")))
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_id[str(tokyo.pk)]["rating"] == "inaccurate" and by_id[str(fuji.pk)]["rating"] == "accurate"
    assert importing.import_bytes(exported).counts[importing.UNCHANGED] == Claim.objects.count()


# ---------------------------------------------------------------------------------------------
# Named people, /method/ and 運営者情報


@pytest.mark.sign_off
def test_a_signed_off_verdict_names_who_checked_and_who_approved_it(client, rated_article):
    import lxml.html

    from claims.models import EditorProfile
    from claims.roles import CHIEF_EDITORS, EDITORS
    from claims.tests.factories import make_user

    services.article_create_claims(article=rated_article)
    editor = make_user("hanako", groups=[EDITORS])
    chief = make_user("taro", groups=[CHIEF_EDITORS])
    EditorProfile.objects.create(user=editor, display_name="山田花子", role="編集者")
    EditorProfile.objects.create(user=chief, display_name="佐藤太郎", role="編集長")
    claim = claim_for(rated_article, FUJI)
    add_evidence(claim)
    result = services.claims_apply(
        changes=[services.ClaimChange(claim=claim, values={"status": Status.VERIFIED, "rating": rating("accurate")})],
        user=editor,
        via=StatusChange.Via.ADMIN,
    )
    proposal = result.proposals[0]
    assert proposal.values["rating"] == rating("accurate").pk  # the rating waits for sign-off like the status
    claim.refresh_from_db()
    assert claim.rating is None and claim.status == Status.PENDING
    client.force_login(chief)
    diff = lxml.html.fromstring(
        client.get(reverse("admin:claims_proposal_change", args=[proposal.pk])).content.decode()
    ).text_content()
    assert "正確" in diff
    client.logout()
    services.proposal_approve(proposal=proposal, user=chief)
    page = lxml.html.fromstring(client.get(claim.get_absolute_url()).content)
    people = page.cssselect(".verdict-people")[0].text_content()
    assert "山田花子" in people and "佐藤太郎" in people
    assert "hanako" not in people and "taro" not in people
    timeline = page.cssselect(".timeline .timeline-people")[0].text_content()
    assert "山田花子" in timeline and "佐藤太郎" in timeline
    assert "正確" in page.cssselect(".verdict .rating")[0].text_content()


def test_roles_instead_of_names_when_the_desk_says_so(client, rated_article, settings):
    import lxml.html

    from claims.models import EditorProfile
    from claims.tests.factories import make_user

    settings.CLAIMS_SHOW_ROLES_NOT_NAMES = True
    services.article_create_claims(article=rated_article)
    editor = make_user("hanako")
    EditorProfile.objects.create(user=editor, display_name="山田花子", role="編集者")
    claim = claim_for(rated_article, FUJI)
    add_evidence(claim)
    services.claim_change_status(claim=claim, to=Status.VERIFIED, via=StatusChange.Via.ADMIN, user=editor)
    people = lxml.html.fromstring(client.get(claim.get_absolute_url()).content).cssselect(".verdict-people")[0]
    assert "編集者" in people.text_content() and "山田花子" not in people.text_content()


def test_method_lists_the_nine_fij_ratings_with_their_definitions_and_names_fij(client, scales):
    import lxml.html

    with translation.override("ja"):
        page = lxml.html.fromstring(client.get("/method/", HTTP_ACCEPT_LANGUAGE="ja").content)
    terms = page.cssselect(".method-ratings dt")
    assert [dt.get("id") for dt in terms] == [f"rating-{code}" for code in FIJ_CODES]
    definitions = [dd.text_content() for dd in page.cssselect(".method-ratings dd")]
    for rating_row, definition in zip(scales.ratings.all(), definitions, strict=True):
        assert rating_row.definition_ja in definition or rating_row.definition_en in definition
    ratings_section = page.cssselect("#ratings")[0].getnext()
    assert "FIJ" in ratings_section.text_content()
    assert ratings_section.cssselect('a[href="https://fij.info/introduction/rating"]')
    assert page.cssselect('a[href="/about/"]')


def test_about_is_linked_from_the_home_page_and_states_ownership_funding_and_non_partisanship(client, scales):
    import lxml.html

    make_article(slug="hundred-model-war", claims=False)
    home = lxml.html.fromstring(client.get("/").content)
    assert home.cssselect('footer a[href="/about/"]')
    about = lxml.html.fromstring(client.get("/about/").content)
    for anchor in ("publisher", "ownership", "nonpartisanship", "editors", "contact"):
        assert about.cssselect(f"#{anchor}"), anchor
    text = about.text_content()
    assert "外部からの資金" in text and "特定の政党" in text
    assert about.cssselect('a[href="/method/#ratings"]') and about.cssselect('a[href="/corrections/policy/"]')


def test_the_publisher_json_ld_points_at_the_about_page(client, scales):
    import json
    import re

    make_article(slug="hundred-model-war", claims=False)
    page = client.get("/").content.decode()
    nodes = [json.loads(raw) for raw in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)]
    publisher = next(node for node in nodes if node.get("@type") == "NewsMediaOrganization")
    assert publisher["ownershipFundingInfo"] == "http://testserver/about/#ownership"
    assert publisher["ethicsPolicy"] == "http://testserver/about/#nonpartisanship"
    assert publisher["masthead"] == "http://testserver/about/#editors"


def test_an_editor_edits_only_their_own_profile(client, scales):
    from claims.models import EditorProfile
    from claims.roles import EDITORS
    from claims.tests.factories import make_user

    mine, theirs = make_user("hanako", groups=[EDITORS]), make_user("jiro", groups=[EDITORS])
    other = EditorProfile.objects.create(user=theirs, display_name="次郎")
    client.force_login(mine)
    added = client.post("/admin/claims/editorprofile/add/", {"display_name": "山田花子", "role": "編集者", "bio": ""})
    assert added.status_code == 302
    assert EditorProfile.objects.get(user=mine).display_name == "山田花子"
    assert client.get(f"/admin/claims/editorprofile/{other.pk}/change/").status_code in (302, 403, 404)
    listing = client.get("/admin/claims/editorprofile/").content.decode()
    assert "山田花子" in listing and "次郎" not in listing


# ---------------------------------------------------------------------------------------------
# The rating wherever the status shows


def test_the_rating_shows_in_the_badge_popover_summary_lists_filters_and_search(client, scales):
    import lxml.html

    article = make_article(slug="hundred-model-war")
    claim = claim_for(article, FUJI)
    decide(claim, Status.VERIFIED, "mostly_accurate", note="標高は測量の年で違う。")
    home = lxml.html.fromstring(client.get("/").content)
    badge = home.cssselect(f'a.badge[href="{claim.get_absolute_url()}"]')[0]
    assert "ほぼ正確" in badge.cssselect(".badge-rating")[0].text_content()
    popover = lxml.html.tostring(home.cssselect(f"template#claim-{claim.pk}-details")[0], encoding=str)
    assert 'class="popover-rating"' in popover and "ほぼ正確" in popover
    assert "ほぼ正確 1" in home.cssselect(".legend-ratings")[0].text_content()
    listing = lxml.html.fromstring(client.get("/claims/", {"rating": "mostly_accurate"}).content)
    assert [a.get("href") for a in listing.cssselect(".claim-item-statement a")] == [claim.get_absolute_url()]
    assert "ほぼ正確" in listing.cssselect(".claim-item .rating-label")[0].text_content()
    # The search form's rating choice (the text search stays on the statement and the verdict note,
    # where the trigram index answers it).
    found = lxml.html.fromstring(client.get("/claims/", {"q": "富士山", "rating": "mostly_accurate"}).content)
    assert [a.get("href") for a in found.cssselect(".claim-item-statement a")] == [claim.get_absolute_url()]


def test_a_label_edited_in_the_admin_shows_on_the_article_at_once(client, scales):
    import lxml.html

    article = make_article(slug="hundred-model-war")
    claim = claim_for(article, FUJI)
    decide(claim, Status.VERIFIED, "accurate")
    assert "正確" in lxml.html.fromstring(client.get("/").content).cssselect(".badge-rating")[0].text_content()
    from claims.services.standards import rating_scale_save

    accurate = rating("accurate")
    accurate.label_ja = "正しい"
    rating_scale_save(scale=scales, ratings=[accurate])
    assert "正しい" in lxml.html.fromstring(client.get("/").content).cssselect(".badge-rating")[0].text_content()


def test_the_rating_is_in_the_annotations_feed_downloads_and_api_filter(client, scales):
    import csv as csvlib

    article = make_article(slug="hundred-model-war")
    claim = claim_for(article, TOKYO)
    decide(claim, Status.DISPUTED, "misleading", note="首都を定める法律はない。", stance=Evidence.Stance.REFUTES)
    annotations = client.get(reverse("api:annotations", kwargs={"slug": article.slug})).json()
    items = annotations.get("first", {}).get("items") or annotations.get("items") or []
    assessing = [
        body
        for item in items
        for body in item["body"]
        if body.get("purpose") == "assessing" and item["target"]["selector"][0]["exact"] == TOKYO
    ]
    assert assessing and assessing[0]["rating"] == "misleading" and "ミスリード" in assessing[0]["value"]
    feed = client.get(reverse("claims:feed")).content.decode()
    assert "ミスリード" in feed
    rows = list(csvlib.reader(io.StringIO(client.get(reverse("api:claims_csv")).content.decode("utf-8-sig"))))
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_id[str(claim.pk)]["rating"] == "misleading"
    listed = client.get(reverse("api:claims"), {"rating": "misleading"}).json()
    assert [c["id"] for c in listed["results"]] == [claim.pk]


def test_the_coverage_panel_and_the_review_queue_list_decided_claims_not_yet_rated(client, rated_article):
    import lxml.html

    from claims.tests.factories import make_user

    services.article_create_claims(article=rated_article)
    unrated, rated = claim_for(rated_article, FUJI), claim_for(rated_article, LAST)
    decide(unrated, Status.VERIFIED)
    decide(rated, Status.VERIFIED, "accurate")
    client.force_login(make_user("root", superuser=True))
    page = lxml.html.fromstring(
        client.get(reverse("admin:claims_article_change", args=[rated_article.pk])).content.decode()
    )
    link = next(a for a in page.cssselect(".coverage a") if "rated=no" in a.get("href"))
    assert link.getparent().text_content().endswith(": 1")
    listed = lxml.html.fromstring(client.get(link.get("href")).content.decode())
    statements = [cell.text_content() for cell in listed.cssselect(".statement-cell")]
    assert statements == [FUJI]
    queue = lxml.html.fromstring(
        client.get(reverse("admin:claims_reviewqueueitem_changelist"), {"why": "unrated"}).content.decode()
    )
    assert [cell.text_content() for cell in queue.cssselect(".statement-cell")] == [FUJI]


def test_restoring_a_version_brings_its_rating_back(rated_article):
    from django.test import Client
    from reversion.models import Version

    from claims.tests.factories import edit, make_user
    from claims.tests.pages import page_form, post_data

    services.article_create_claims(article=rated_article)
    claim = claim_for(rated_article, FUJI)
    add_evidence(claim)
    add_evidence(claim, stance=Evidence.Stance.REFUTES, url="https://example.com/no")
    edit(claim, status=Status.VERIFIED, rating=rating("mostly_accurate"), verdict_note="但し書き: 測量年で違う。")
    rated = Version.objects.get_for_object(claim).first()
    edit(claim, status=Status.DISPUTED, rating=rating("false"), verdict_note="誤りだった。")
    client = Client(raise_request_exception=False)
    client.force_login(make_user("root", superuser=True))
    url = reverse("admin:claims_claim_revision", args=[claim.pk, rated.pk])
    page = client.get(url)
    assert page.status_code == 200 and "ほぼ正確" in page.content.decode()
    client.post(url, post_data(page_form(page, having="status_note")), follow=True)
    claim.refresh_from_db()
    assert claim.status == Status.VERIFIED and claim.rating.code == "mostly_accurate"


def test_the_shipped_essays_claimreview_dates_come_from_the_record_not_the_load(client, scales):
    from django.core.management import call_command

    call_command("load_essay", stdout=io.StringIO())
    feed = client.get("/claimreview.json").json()
    reviews = [element["item"][0] for element in feed["dataFeedElement"]]
    assert reviews
    checked = {claim.last_checked.isoformat() for claim in Claim.objects.exclude(last_checked=None)}
    for review in reviews:
        claim = review["itemReviewed"]
        # The essay was written in October 2023 ("last month" is September 2023): its front matter says so.
        assert claim["dateCreated"] == claim["datePublished"] == claim["firstAppearance"]["datePublished"] == "2023-10"
        # The review is dated from the record's own checks, never the day the database was loaded.
        # (The record was last checked on the day this test was written, so "not today" cannot be asserted.)
        assert review["datePublished"] in checked and review["datePublished"] <= review["dateModified"]
