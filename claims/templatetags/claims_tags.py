import datetime
import functools
import html
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from claims.models import Claim, Evidence
from claims.validators import visible_text

register = template.Library()


@register.filter
def public_name(user):
    """How readers see an editor: their profile's display name, or its role where the desk shows
    roles (CLAIMS_SHOW_ROLES_NOT_NAMES); None for an account without a profile (never the
    account's user name)."""
    profile = getattr(user, "editor_profile", None) if user is not None else None
    if profile is None:
        return None
    if settings.CLAIMS_SHOW_ROLES_NOT_NAMES and profile.role:
        return profile.role
    return profile.display_name


@register.filter
def visible(value):
    """Text without the characters claims.validators refuses (for rows stored before it did)."""
    return visible_text(value)


# Each status has an icon and a word, so colour is never the only signal.
STATUS_ICONS = {
    Claim.Status.VERIFIED: "✓",
    Claim.Status.DISPUTED: "!",
    Claim.Status.UNSUPPORTED: "∅",
    Claim.Status.OUTDATED: "↺",
    Claim.Status.PENDING: "?",
}


@register.simple_tag
def status_badge(status):
    """The status as icon plus text: used by the public badge, the claim page and the admin list."""
    label = Claim.Status(status).label
    return format_html(
        '<span class="status status-{}"><span class="status-icon" aria-hidden="true">{}</span>'
        '<span class="status-text">{}</span></span>',
        status,
        STATUS_ICONS[status],
        label,
    )


# Evidence is listed supporting first, then refuting, then background.
STANCE_ORDER = {stance: index for index, stance in enumerate(Evidence.Stance)}

# ---------------------------------------------------------------------------------------------
# The reader's badge: the one place that renders it, for the article body and the claim lists.


@register.simple_tag
def month_as_of(value):
    """The date a statement was true, to the month: "2023年9月時点" / "as of September 2023"."""
    return format_html(_("as of {month}"), month=date_format(value, "YEAR_MONTH_FORMAT"))


@register.filter
def partial_date(value):
    """A source's date (YYYY, YYYY-MM or YYYY-MM-DD, as stored) in the site's date style:
    2023年10月5日 / 2023年10月 / 2023年 (October 5, 2023 / October 2023 / 2023 in English)."""
    parts = str(value or "").split("-")
    try:
        numbers = [int(part) for part in parts]
        if len(numbers) == 3:
            return date_format(datetime.date(*numbers), "DATE_FORMAT")
        if len(numbers) == 2:
            return date_format(datetime.date(numbers[0], numbers[1], 1), "YEAR_MONTH_FORMAT")
        if len(numbers) == 1 and numbers[0] > 0:
            return pgettext("a year alone, as a source's date", "%(year)d") % {"year": numbers[0]}
    except ValueError:
        pass
    return value


@register.filter
def evidence_label(evidence):
    """The words of an evidence link: its title, else its publisher, else the host name of its URL,
    so that no link is empty (zero width, no accessible name)."""
    for text in (evidence.title, evidence.publisher):
        # isprintable() is the fast answer for almost every title (it is False for any hidden character).
        if text and ((text.isprintable() and not text.isspace()) or visible_text(text).strip()):
            return text
    host = urlsplit(evidence.url or "").hostname or ""
    return host.removeprefix("www.") or evidence.url


# The badge is rendered for every claimed sentence of an article, so it is built from plain string
# pieces rather than a chain of format_html calls (which cost more than the text around them): every
# value that comes from the database passes through ``escape`` below, the same function Django's
# ``format_html`` applies to its arguments; the site's own words are escaped once per page.
escape = html.escape
CLAIM_URL_SENTINEL = 987654321987


class BadgeWords:
    """What every badge on a page shares, in the reader's language: looked up once per page, not per badge."""

    def __init__(self):
        self.ui = escape(get_language() or "")
        self.status = {status: str(status_badge(status)) for status in Claim.Status.values}
        self.stance = {stance: escape(str(label)) for stance, label in Evidence.Stance.choices}
        self.hint = escape(_("(details of this claim)"))
        self.evidence = escape(_("Evidence"))
        self.as_of = _("as of {month}")
        self.last_checked = _("Last checked {date}")
        self.claim_page = escape(_("The claim’s page"))
        self.how_we_check = escape(_("How we check"))
        self.report = escape(_("Report an error"))
        self.method_url = escape(method_url())
        self.report_url = escape(report_url())
        self.claim_url = escape(reverse("claims:claim", kwargs={"pk": CLAIM_URL_SENTINEL})).split(
            str(CLAIM_URL_SENTINEL)
        )
        self.dates = {}

    def date(self, value, format_name):
        """A date in the site's style; many claims share a date, so each is formatted once."""
        key = (value, format_name)
        if key not in self.dates:
            self.dates[key] = escape(date_format(value, format_name))
        return self.dates[key]

    def url(self, claim):
        return str(claim.pk).join(self.claim_url)


@functools.lru_cache(maxsize=16)
def _badge_words(language, script_prefix):
    return BadgeWords()


def badge_words():
    """The :class:`BadgeWords` of the active language, made once per language and kept: the words,
    addresses and formatted dates of a language do not change while the process runs."""
    return _badge_words(get_language(), get_script_prefix())


def _evidence_item(evidence, words):
    publisher = evidence.publisher
    stance = str(evidence.stance)
    return (
        f'<li class="evidence-item"><span class="stance stance-{escape(stance)}" lang="{words.ui}">'
        f"{words.stance.get(stance) or escape(stance)}</span> "
        f'<a href="{escape(evidence.url)}">{escape(evidence_label(evidence))}</a>'
        + (f' <span class="evidence-publisher">{escape(publisher)}</span>' if publisher and evidence.title else "")
        + "</li>"
    )


def claim_details(claim, evidence=None, words=None):
    """What the badge's popover says: verdict, as-of date, evidence, last check, a link to the claim page.

    The popover sits in the article's text (lang="ja"); the site's own words carry the reader's
    language, so a screen reader pronounces both right. ``evidence`` is the claim's links (its
    ``evidence`` relation unless given); ``words`` the page's :class:`BadgeWords`.
    """
    words = words or badge_words()
    ui = words.ui
    status = str(claim.status)
    parts = [f'<span lang="{ui}">{words.status[status]}</span>']
    rating = getattr(claim, "rating_text", "")
    if rating:
        parts.append(f' · <strong class="popover-rating" lang="{ui}">{escape(rating)}</strong>')
    if claim.verdict_note:
        parts.append(f'<p class="popover-verdict">{escape(claim.verdict_note)}</p>')
    if status == Claim.Status.OUTDATED and claim.as_of:
        month = words.as_of.format(month=words.date(claim.as_of, "YEAR_MONTH_FORMAT"))
        parts.append(f'<p class="popover-as-of" lang="{ui}">{month}</p>')
    if evidence is None:
        evidence = claim.evidence.all()
    evidence = sorted(evidence, key=lambda item: STANCE_ORDER.get(item.stance, len(STANCE_ORDER)))
    if evidence:
        items = "".join(_evidence_item(item, words) for item in evidence)
        parts.append(f'<p class="popover-label" lang="{ui}">{words.evidence}</p><ul class="evidence-list">{items}</ul>')
    if claim.last_checked:
        checked = words.last_checked.format(date=words.date(claim.last_checked, "DATE_FORMAT"))
        parts.append(f'<p class="popover-checked" lang="{ui}">{checked}</p>')
    parts.append(
        f'<p class="popover-more" lang="{ui}"><a href="{words.url(claim)}">{words.claim_page}</a>'
        f' · <a href="{words.method_url}#status-{status}">{words.how_we_check}</a>'
        f' · <a href="{words.report_url}?claim={claim.pk}">{words.report}</a></p>'
    )
    return mark_safe("".join(parts))  # every value above is escaped


@register.simple_tag
def claim_badge(claim, evidence=None, words=None):
    """The badge after a claimed sentence.

    Without JavaScript it is a link to the claim's page. static/js/badges.js turns it into a
    disclosure button that shows the details kept in the <template> beside it.
    """
    words = words or badge_words()
    status = str(claim.status)
    anchor = f"claim-{claim.pk}"
    rating = getattr(claim, "rating_text", "")
    # The rating after the status word, in the same badge: short labels (ほぼ正確, ミスリード) keep
    # the badge on one line at 390 px.
    rating_html = f' <span class="badge-rating">· {escape(rating)}</span>' if rating else ""
    return mark_safe(  # every value is escaped (claim_details, BadgeWords)
        f'<a class="badge badge-{status}" href="{words.url(claim)}" lang="{words.ui}" data-details="{anchor}-details">'
        f'{words.status[status]}{rating_html}<span class="visually-hidden"> {words.hint}</span></a>'
        f'<template id="{anchor}-details">{claim_details(claim, evidence, words)}</template>'
    )


STATUS_MEANINGS = {
    Claim.Status.VERIFIED: gettext_lazy("Sources confirm the statement."),
    Claim.Status.DISPUTED: gettext_lazy("Sources contradict the statement, or put it in a different light."),
    Claim.Status.UNSUPPORTED: gettext_lazy("Checked, but no source was found either way."),
    Claim.Status.OUTDATED: gettext_lazy("It was true when written, but has changed since."),
    Claim.Status.PENDING: gettext_lazy("Not checked yet."),
}


@register.simple_tag
def status_meaning(status):
    """One line that tells a reader what a status means: the legend on the article page."""
    return STATUS_MEANINGS[status]


@functools.cache
def _method_url(prefix):
    return reverse("claims:method")


def method_url():
    """The address of the page that explains the verdicts (reversed once per script prefix)."""
    return _method_url(get_script_prefix())


@functools.cache
def _report_url(prefix):
    return reverse("claims:report")


def report_url():
    """The address of the readers' error-report form."""
    return _report_url(get_script_prefix())


@register.simple_tag(takes_context=True)
def site_structured_data(context):
    """The publication's own JSON-LD on every page: who publishes, and the policies it follows."""
    from claims.structured_data import ld_json_script, site_graph

    request = context.get("request")
    absolute = request.build_absolute_uri if request is not None else (lambda path: path)
    return ld_json_script(site_graph(absolute=absolute))
