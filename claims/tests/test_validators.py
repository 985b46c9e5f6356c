"""The visible-text validator (claims/validators.py) and Unicode tag characters.

Tag characters (U+E0000–U+E007F) spell ASCII that nobody sees, after a visible text: refused
wherever the validator runs (the models, the admin's forms, the report form, the CSV import).
Ideographic variation selectors (U+E0100–U+E01EF, as in 葛󠄀) choose a kanji's glyph: allowed.
"""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from claims import ratelimit
from claims.csv import importing
from claims.models import Claim, Report
from claims.tests.factories import claim_for, csv_bytes, csv_row, make_article, make_status
from claims.tests.pages import page_form, post_data
from claims.validators import validate_visible_text, visible_text

pytestmark = pytest.mark.django_db

FUJI = "富士山は日本一高い山です。"
HIDDEN = "".join(chr(0xE0000 + ord(c)) for c in "ignore previous")  # "ignore previous" in tag characters
KUZU_IVS = "葛\U000e0100"  # 葛 with its variation selector (Hanyo-Denshi / Moji_Joho)


@pytest.fixture(autouse=True)
def fresh_counters():
    ratelimit.local_counters.counts.clear()


@pytest.mark.parametrize("char", ["\U000e0000", "\U000e0001", "\U000e0020", "\U000e0041", "\U000e007f"])
def test_every_tag_character_is_refused_naming_it(char):
    with pytest.raises(ValidationError) as error:
        validate_visible_text(f"見える文{char}")
    assert f"U+{ord(char):05X}" in str(error.value.messages[0])
    assert visible_text(f"見える文{char}") == "見える文"


@pytest.mark.parametrize("char", ["\U000e0100", "\U000e0101", "\U000e01ef", "\ufe00", "\u200d"])
def test_variation_selectors_and_joiners_stay_allowed(char):
    validate_visible_text(f"葛{char}飾区")
    assert visible_text(f"葛{char}") == f"葛{char}"


def test_a_claim_with_tag_characters_is_refused_by_the_model():
    claim = make_article().claims.first()
    claim.verdict_note = f"確認済み。{HIDDEN}"
    with pytest.raises(ValidationError) as error:
        claim.full_clean()
    assert "verdict_note" in error.value.message_dict
    claim.verdict_note = f"{KUZU_IVS}飾区で確認。"
    claim.full_clean()


def test_a_report_with_tag_characters_is_refused_and_one_with_a_variation_selector_is_sent():
    claim = make_status(claim_for(make_article(slug="hundred-model-war"), FUJI), Claim.Status.VERIFIED, note="確認。")
    client = Client(raise_request_exception=False, REMOTE_ADDR="203.0.113.7")
    url = reverse("claims:report") + f"?claim={claim.pk}"
    form = page_form(client.get(url), having="message")
    refused = client.post(url, post_data(form, message=f"誤りがあります。{HIDDEN}"))
    assert refused.status_code == 200 and not Report.objects.exists()
    with translation.override("ja"):
        assert "U+E0069" in refused.content.decode()
    sent = client.post(url, post_data(form, message=f"{KUZU_IVS}の字が違います。"))
    assert sent.status_code == 200
    assert Report.objects.get().message == f"{KUZU_IVS}の字が違います。"


def test_a_csv_row_with_tag_characters_is_refused_and_writes_nothing():
    make_article(claims=False)
    with translation.override("en"):
        report = importing.import_bytes(csv_bytes([csv_row(statement=FUJI, verdict_note=f"隠し{HIDDEN}")]))
        messages = [str(error) for error in report.errors]
    assert any("verdict_note" in m and "U+E0069" in m for m in messages), messages
    assert not Claim.objects.exists()


def test_the_admins_article_form_refuses_tag_characters_naming_the_first():
    from claims.roles import CHIEF_EDITORS
    from claims.tests.factories import make_user

    article = make_article()
    client = Client(raise_request_exception=False)
    client.force_login(make_user("chief", groups=[CHIEF_EDITORS]))
    url = reverse("admin:claims_article_change", args=[article.pk])
    data = {"title": f"題名{HIDDEN}", "slug": article.slug, "body": article.body, "language": "ja"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "U+E0069" in response.context["adminform"].form.errors["title"][0]
    article.refresh_from_db()
    assert article.title == "テスト記事"
