"""The CSV format (claims/csv/format.py, cells.py): values and labels accepted in each column,
evidence cells, dates as spreadsheets rewrite them, and formula escaping both ways.
"""

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.utils import translation

from claims import services
from claims.csv import exporting, importing
from claims.csv import format as csvformat
from claims.models import Claim
from claims.tests.factories import (
    SOURCE_CELL,
    claim_for,
    csv_bytes,
    csv_row,
)

pytestmark = pytest.mark.django_db
Status = Claim.Status
COLUMNS = csvformat.COLUMNS
FUJI = "富士山は日本一高い山です。"
TOKYO = "東京は日本の首都です。"
LAST = "最後の文です。"
QUOTE = "「これは引用です。まだ引用です。」と彼は言った。"
SOURCE = SOURCE_CELL


@pytest.fixture(autouse=True)
def english():
    # Messages are asserted in English; the Japanese catalogue may translate them later.
    with translation.override("en"):
        yield


row = csv_row


def run(rows, **kwargs):
    return importing.import_bytes(csv_bytes(rows), **kwargs)


def export_bytes(queryset=None):
    out = io.StringIO(newline="")
    exporting.write_csv(out, exporting.claim_rows(queryset))
    return out.getvalue().encode("utf-8")


def counts(report):
    c = report.counts
    return c[importing.NEW], c[importing.UPDATED], c[importing.UNCHANGED]


def populate(article):
    """Claims that use every column and every evidence field, including awkward text."""
    run(
        [
            row(
                statement=FUJI,
                status="verified",
                verdict_note="=1+1 は式ではない。\n二行目。",
                internal_note="-内部メモ",
                as_of="2023-04-01",
                recheck_after="2027-01-31",
                tags="山,地理,@タグ",
                evidence=SOURCE
                + " | accessed=2024-01-02 | archived=https://web.archive.org/x | excerpt=一行目\\n二行目 a\\|b C:\\path\n"
                "refutes | https://example.com/r?a=1&b=2 | 題 \\| 副題 | 出版社 | 2020",
            ),
            row(statement=QUOTE, status="unsupported", verdict_note="+異論あり", tags="引用"),
            row(statement=LAST, kind="not_claim", verdict_note="@場面設定"),
            row(statement=TOKYO, status="outdated", as_of="2020-01-01", verdict_note="\t古い情報"),
        ]
    )
    services.article_create_claims(article=article)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending", Status.PENDING),
        ("VERIFIED", Status.VERIFIED),
        ("未検証", Status.PENDING),
        ("検証済み", Status.VERIFIED),
        ("異論あり", Status.DISPUTED),
        ("情報が古い", Status.OUTDATED),
        ("Disputed", Status.DISPUTED),
        ("unverified", Status.PENDING),
    ],
)
def test_status_accepts_values_and_english_and_japanese_labels(status, expected):
    assert csvformat.parse_status(status) == expected


@pytest.mark.parametrize(
    ("kind", "is_claim"), [("claim", True), ("主張", True), ("not_claim", False), ("主張ではない", False)]
)
def test_kind_accepts_values_and_japanese(kind, is_claim):
    assert csvformat.parse_kind(kind) is is_claim


def test_dates_as_a_spreadsheet_rewrites_them_are_read(article_without_claims):
    run([row(statement=TOKYO, status="outdated", as_of="2023/10/1", verdict_note="古い", recheck_after="2027/1/31")])
    claim = claim_for(article_without_claims, TOKYO)
    assert (claim.as_of, claim.recheck_after) == (datetime.date(2023, 10, 1), datetime.date(2027, 1, 31))


def test_evidence_cells_parse_escapes_and_key_value_parts_in_any_order():
    links, problems = csvformat.parse_evidence(
        "Supports | https://e.com/a\\|b | 題 \\| 副題 | 出版 | 2023 | excerpt=抜粋 | accessed=2024/2/3 | ARCHIVED=https://a.org\n\n"
        "反証 | https://e.com/c | C"
    )
    assert problems == []
    assert links[0] == {
        "line": 1,
        "stance": "Supports",
        "url": "https://e.com/a|b",
        "title": "題 | 副題",
        "publisher": "出版",
        "published": "2023",
        "accessed": "2024/2/3",
        "archive_url": "https://a.org",
        "excerpt": "抜粋",
    }
    assert (links[1]["line"], links[1]["stance"], links[1]["publisher"]) == (3, "反証", "")
    assert csvformat.parse_stance("反証") == "refutes"


@pytest.mark.parametrize("value", ["=1+1", "+81 3", "-x", "@SUM(A1)", "\tindent", "\rcr", "'=already", "''+x"])
def test_cells_a_spreadsheet_would_run_get_a_quote_that_import_removes(value):
    escaped = csvformat.escape_formula(value)
    assert escaped == "'" + value
    assert csvformat.unescape_formula(escaped) == value


@pytest.mark.parametrize("value", ["plain", "'quoted", "", "1-2", "a=b", "“=”"])
def test_other_cells_are_left_alone(value):
    assert csvformat.escape_formula(value) == value
    assert csvformat.unescape_formula(value) == value


def test_export_escapes_formula_cells_and_import_restores_them(article_without_claims):
    populate(article_without_claims)
    data = export_bytes()
    cells = {}
    for cells_of_row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")):
        cells.setdefault(cells_of_row[2], cells_of_row)
    note, internal, tags = (COLUMNS.index(name) for name in ("verdict_note", "internal_note", "tags"))
    assert cells[FUJI][note].startswith("'=1+1")
    assert cells[FUJI][internal] == "'-内部メモ"
    assert cells[FUJI][tags].endswith("'@タグ") is False  # only the start of a cell can run
    assert cells[QUOTE][note] == "'+異論あり"
    assert cells[LAST][note] == "'@場面設定"
    assert cells[TOKYO][note] == "'\t古い情報"
    assert counts(importing.import_bytes(data)) == (0, 0, Claim.objects.count())
    assert claim_for(article_without_claims, TOKYO).verdict_note == "\t古い情報"


@pytest.fixture(autouse=True)
def english_pages(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
