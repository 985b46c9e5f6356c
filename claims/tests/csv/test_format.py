"""The CSV format (claims/csv/format.py, cells.py): values and labels accepted in each column,
evidence cells, dates as spreadsheets rewrite them, and formula escaping both ways.
"""

import csv
import datetime
import io

import pytest

from claims.csv import format as csvformat
from claims.csv import importing
from claims.models import Claim
from claims.tests.factories import (
    FUJI,
    LAST,
    QUOTE,
    TOKYO,
    claim_for,
    csv_row,
    export_bytes,
    import_counts,
    import_rows,
    populate_every_column,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
Status = Claim.Status
COLUMNS = csvformat.COLUMNS


row = csv_row


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
    import_rows(
        [row(statement=TOKYO, status="outdated", as_of="2023/10/1", verdict_note="古い", recheck_after="2027/1/31")]
    )
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
    populate_every_column(article_without_claims)
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
    assert import_counts(importing.import_bytes(data)) == (0, 0, Claim.objects.count())
    assert claim_for(article_without_claims, TOKYO).verdict_note == "\t古い情報"
