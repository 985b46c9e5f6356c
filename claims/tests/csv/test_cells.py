"""Odd CSV cells (claims/csv/cells.py, format.py): ids out of range are row errors, schemes compare
the same in the preview and the database, and formula escaping catches every leading variant.
"""

import hypothesis
import pytest

from claims.csv import format as csvformat
from claims.csv import importing
from claims.tests.factories import (
    csv_bytes,
    csv_row,
    database_state,
    make_article,
)

pytestmark = pytest.mark.django_db


# Ids and addresses

FUJI = "富士山は日本一高い山です。"


@pytest.mark.parametrize(
    "raw_id", ["9223372036854775807", "9223372036854775808", str(2**31), "1" + "0" * 40, "99999999999999999999"]
)
def test_an_id_out_of_range_is_a_row_error_and_never_reaches_the_database(raw_id):
    article = make_article(claims=False)
    before = database_state()
    data = csv_bytes([csv_row(id=raw_id, statement=FUJI)])
    for dry_run in (True, False):
        report = importing.import_bytes(data, dry_run=dry_run)
        assert not report.ok
        assert [(e.row, e.column) for e in report.errors] == [(2, "id")], [str(e) for e in report.errors]
    assert database_state() == before
    new = importing.import_bytes(csv_bytes([csv_row(statement="最後の文です。")]))  # later new claims work
    assert new.ok and article.claims.filter(statement="最後の文です。").exists()


def test_the_largest_allowed_id_is_accepted():
    make_article(claims=False)
    report = importing.import_bytes(csv_bytes([csv_row(id=str(2**31 - 1), statement=FUJI)]), dry_run=True)
    assert report.ok, [str(e) for e in report.errors]


@pytest.mark.parametrize("url", ["HTTP://EXAMPLE.COM/", "Https://example.com/a?b=C", "hTTp://example.org/"])
def test_an_upper_case_scheme_is_the_same_in_the_preview_and_the_database(url):
    article = make_article(claims=False)
    cell = f"supports | {url} | 出典 | 発行元 | 2023"
    data = csv_bytes([csv_row(statement=FUJI, status="verified", verdict_note="確認。", evidence=cell)])
    preview = importing.import_bytes(data, dry_run=True)
    assert preview.ok, [str(e) for e in preview.errors]
    report = importing.import_bytes(data)
    assert report.ok, [str(e) for e in report.errors]
    stored = article.claims.get(statement=FUJI).evidence.get()
    assert stored.url.startswith(("http://", "https://"))
    assert stored.url.lower() == url.lower()


# Formula escaping: every leading variant

FORMULA_VARIANTS = [
    " =SUM(A1)",
    "\u3000=SUM(A1)",
    "＝SUM(A1)",
    "\n=SUM(A1)",
    "\r\n=SUM(A1)",
    "\ufeff=SUM(A1)",
    "\u200b=SUM(A1)",
    "  \t=1+1",
    "＋1",
    "－1",
    "＠SUM(A1)",
    "\u2060=1",
]


@pytest.mark.parametrize("value", FORMULA_VARIANTS)
def test_formula_escaping_catches_every_leading_variant(value):
    escaped = csvformat.escape_formula(value)
    assert escaped == "'" + value
    assert csvformat.unescape_formula(escaped) == value


@hypothesis.given(
    hypothesis.strategies.text(
        alphabet=hypothesis.strategies.sampled_from("'= +-@＝＋\u3000\n\r\t\ufeff\u200ba1")
        | hypothesis.strategies.characters(),
        max_size=8,
    )
)
def test_formula_escaping_round_trips_exactly(value):
    assert csvformat.unescape_formula(csvformat.escape_formula(value)) == value


@pytest.mark.parametrize("value", ["普通の文。", "a=1", "100%", "'quoted"])
def test_ordinary_cells_are_not_escaped(value):
    assert csvformat.escape_formula(value) == value
