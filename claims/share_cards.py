"""The picture a shared link shows (og:image): a card per claim and per article, drawn with Pillow.

A claim's card has the site's name, the status badge (colour and word, as on the page) and the
statement; an article's card its title and lead. Cards are PNG, 1200×630 (the size LINE, X and
Facebook crop least), kept in the cache under the claim's version or the article's last save, so
a card is drawn once per version and language.

Japanese needs a Japanese font. The card uses the first one found on the machine (``CLAIMS_CARD_FONT``
names one; otherwise IPAex Gothic, IPA Gothic or Noto Sans CJK in the usual folders; .ci/run
installs ``fonts-ipaexfont-gothic``). Without one, every card is the static default card
(static/share/default-card.png): never a card of empty boxes, and no font is ever downloaded.
"""

import functools
import io
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils.text import Truncator
from django.utils.translation import get_language

from .structured_data import publisher_name
from .validators import visible_text

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
DEFAULT_CARD = Path(settings.BASE_DIR) / "static" / "share" / "default-card.png"
CACHE_SECONDS = 60 * 60 * 24 * 30

FONT_FILES = (
    "ipaexg.ttf",
    "ipag.ttf",
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKjp-Regular.otf",
    "NotoSansJP-Regular.otf",
    "NotoSansJP-Regular.ttf",
)
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts", "/Library/Fonts")

# The site's light theme (static/css/site.css): text, background and line of each status.
STATUS_COLOURS = {
    "verified": ("#0b6b2f", "#e3f5e9", "#2e9a57"),
    "disputed": ("#a31212", "#fde8e8", "#f3a5a5"),
    "unsupported": ("#4f3a7a", "#eee9f7", "#c3b3e3"),
    "outdated": ("#8a5200", "#fff1d6", "#f5cd7e"),
    "pending": ("#4a4f57", "#eceef1", "#a8aeb8"),
}
BACKGROUND, TEXT, MUTED, ACCENT = "#fbfaf7", "#1f2328", "#5b616b", "#22406e"


@functools.cache
def card_font_path():
    """A font file with Japanese glyphs, or None."""
    named = settings.CLAIMS_CARD_FONT
    if named:
        return named if Path(named).is_file() else None
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for name in FONT_FILES:
            found = next(root.rglob(name), None)
            if found is not None:
                return str(found)
    return None


def default_card():
    return DEFAULT_CARD.read_bytes()


def _font(size):
    from PIL import ImageFont

    return ImageFont.truetype(card_font_path(), size)


def _wrap(draw, text, font, width, max_lines):
    """Lines of ``text`` no wider than ``width``, broken between any two characters (Japanese has
    no spaces to break at), the last one ending in an ellipsis when the text does not fit."""
    lines, line = [], ""
    for character in text:
        if draw.textlength(line + character, font=font) <= width:
            line += character
            continue
        lines.append(line)
        line = character.lstrip()
        if len(lines) == max_lines:
            break
    else:
        if line:
            lines.append(line)
        return lines
    last = lines[-1]
    while last and draw.textlength(last + "…", font=font) > width:
        last = last[:-1]
    lines[-1] = last + "…"
    return lines


def draw_card(*, text, badge=None, footer=""):
    """The PNG bytes of a card: the site's name, an optional badge ``(status, word)``, ``text``
    and a ``footer`` line."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 96), fill=ACCENT)
    draw.text((MARGIN, 48), publisher_name(), font=_font(36), fill="#ffffff", anchor="lm")
    top = 140
    if badge is not None:
        status, word = badge
        colour, background, line = STATUS_COLOURS[status]
        font = _font(40)
        box_width = draw.textlength(word, font=font) + 56
        draw.rounded_rectangle((MARGIN, top, MARGIN + box_width, top + 72), 36, fill=background, outline=line, width=4)
        draw.text((MARGIN + 28, top + 36), word, font=font, fill=colour, anchor="lm")
        top += 112
    font = _font(54)
    for number, line in enumerate(_wrap(draw, text, font, WIDTH - 2 * MARGIN, 5 if badge is None else 4)):
        draw.text((MARGIN, top + number * 76), line, font=font, fill=TEXT)
    if footer:
        footer_font = _font(30)
        [footer_line] = _wrap(draw, footer, footer_font, WIDTH - 2 * MARGIN, 1)
        draw.text((MARGIN, HEIGHT - 56), footer_line, font=footer_font, fill=MUTED, anchor="ls")
    output = io.BytesIO()
    image.save(output, "PNG", optimize=True)
    return output.getvalue()


def _cached(key, draw):
    if card_font_path() is None:
        return default_card()
    key = f"share-card:{key}:{get_language()}"
    card = cache.get(key)
    if card is None:
        card = draw()
        cache.set(key, card, CACHE_SECONDS)
    return card


def claim_card(claim):
    """The claim's card, drawn once per version of the claim and language."""
    return _cached(
        f"claim:{claim.pk}:{claim.version}",
        lambda: draw_card(
            text=visible_text(claim.statement),
            badge=(claim.status, str(claim.get_status_display())),
            footer=Truncator(claim.article.title).chars(60),
        ),
    )


def article_card(article):
    """The article's card, drawn once per save of the article and language."""
    return _cached(
        f"article:{article.pk}:{article.updated_at.timestamp()}",
        lambda: draw_card(text=article.title, footer=Truncator(visible_text(article.lead)).chars(80)),
    )
