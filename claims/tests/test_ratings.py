"""Ratings within each status: the scale, its rules, the CSV column, ClaimReview and the pages."""

import csv
import io

import pytest
from django.utils import translation

from claims import services
from claims.csv import exporting, importing
from claims.csv import format as csvformat
from claims.models import Claim, Evidence, Rating, RatingScale, StatusChange
from claims.tests.factories import (
    SOURCE_CELL,
    add_evidence,
    claim_for,
    csv_bytes,
    csv_row,
    make_article,
    make_scales,
    rating,
)

pytestmark = pytest.mark.django_db
Status = Claim.Status
FUJI = "富士山は日本一高い山です。"
TOKYO = "東京は日本の首都です。"
LAST = "最後の文です。"
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


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def scales():
    return make_scales()


@pytest.fixture
def article(scales):
    return make_article(claims=False)


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


def test_claims_start_unrated(article):
    services.article_create_claims(article=article)
    assert article.claims.exists() and not Claim.objects.filter(rating__isnull=False).exists()


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


def test_a_rating_belongs_to_the_family_of_its_status(article):
    services.article_create_claims(article=article)
    claim = claim_for(article, FUJI)
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


def test_mostly_accurate_misleading_and_inaccurate_need_a_note_naming_the_caveat(article):
    services.article_create_claims(article=article)
    claim = claim_for(article, FUJI)
    add_evidence(claim)
    problems = refused(claim, status=Status.VERIFIED, rating=rating("mostly_accurate"), verdict_note="")
    assert problems == ["“Mostly accurate” needs a verdict note that names the caveat or the missing context."]
    assert not refused(
        claim, status=Status.VERIFIED, rating=rating("mostly_accurate"), verdict_note="高さは測量年で違う。"
    )


def test_a_reworded_claim_goes_back_to_unverified_without_its_rating(article):
    services.article_create_claims(article=article)
    claim = claim_for(article, FUJI)
    decide(claim, Status.VERIFIED, "accurate")
    services.article_update(article=article, body=article.body.replace(FUJI, "富士山は日本で一番高い山です。"))
    claim.refresh_from_db()
    assert claim.status == Status.PENDING and claim.rating is None


# ---------------------------------------------------------------------------------------------
# The CSV column


def test_csv_rating_column_takes_japanese_labels_and_round_trips_exactly(article):
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
    fuji, tokyo, last = (claim_for(article, s) for s in (FUJI, TOKYO, LAST))
    assert (fuji.rating.code, tokyo.rating.code, last.rating.code) == ("mostly_accurate", "misleading", "accurate")
    exported = export_rows()
    cells = cells_by_statement(exported)
    assert [cells[s]["rating"] for s in (FUJI, TOKYO, LAST)] == ["mostly_accurate", "misleading", "accurate"]
    # The export imports back unchanged, and exports again byte for byte.
    again = importing.import_bytes(exported)
    assert again.errors == [] and again.counts[importing.UNCHANGED] == 3
    assert export_rows() == exported


def test_csv_rating_unknown_or_of_the_wrong_family_is_a_row_and_column_error(article):
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


def test_csv_without_the_rating_column_leaves_ratings_as_they_are(article):
    services.article_create_claims(article=article)
    claim = claim_for(article, FUJI)
    decide(claim, Status.VERIFIED, "accurate")
    header = [c for c in csvformat.COLUMNS if c not in ("rating", "evidence")]
    data = csv_bytes([csv_row(id=claim.pk, statement=FUJI, status="verified", verdict_note="確認。")], header=header)
    report = importing.import_bytes(data)
    assert report.errors == []
    claim.refresh_from_db()
    assert claim.rating.code == "accurate" and claim.verdict_note == "確認。"
