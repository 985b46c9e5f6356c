import datetime
import functools
from urllib.parse import urlsplit

from django import template
from django.urls import get_script_prefix, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language, gettext_lazy, pgettext
from django.utils.translation import gettext as _

from claims.models import Claim, Evidence
from claims.validators import visible_text

register = template.Library()


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
        if text and visible_text(text).strip():
            return text
    host = urlsplit(evidence.url or "").hostname or ""
    return host.removeprefix("www.") or evidence.url


def _evidence_item(evidence):
    return format_html(
        '<li class="evidence-item"><span class="stance stance-{}" lang="{}">{}</span> <a href="{}">{}</a>{}</li>',
        evidence.stance,
        get_language(),
        evidence.get_stance_display(),
        evidence.url,
        evidence_label(evidence),
        format_html(' <span class="evidence-publisher">{}</span>', evidence.publisher)
        if evidence.publisher and evidence.title
        else "",
    )


def claim_details(claim):
    """What the badge's popover says: verdict, as-of date, evidence, last check, a link to the claim page.

    The popover sits in the article's text (lang="ja"); the site's own words carry the reader's
    language, so a screen reader pronounces both right.
    """
    ui = get_language()
    parts = [format_html('<span lang="{}">{}</span>', ui, status_badge(claim.status))]
    if claim.verdict_note:
        parts.append(format_html('<p class="popover-verdict">{}</p>', claim.verdict_note))
    if claim.status == Claim.Status.OUTDATED and claim.as_of:
        parts.append(format_html('<p class="popover-as-of" lang="{}">{}</p>', ui, month_as_of(claim.as_of)))
    evidence = sorted(claim.evidence.all(), key=lambda item: STANCE_ORDER.get(item.stance, len(STANCE_ORDER)))
    if evidence:
        parts.append(
            format_html(
                '<p class="popover-label" lang="{}">{}</p><ul class="evidence-list">{}</ul>',
                ui,
                _("Evidence"),
                format_html_join("", "{}", ((_evidence_item(item),) for item in evidence)),
            )
        )
    if claim.last_checked:
        parts.append(
            format_html(
                '<p class="popover-checked" lang="{}">{}</p>',
                ui,
                format_html(_("Last checked {date}"), date=date_format(claim.last_checked, "DATE_FORMAT")),
            )
        )
    parts.append(
        format_html(
            '<p class="popover-more" lang="{}"><a href="{}">{}</a> · <a href="{}#status-{}">{}</a>'
            ' · <a href="{}?claim={}">{}</a></p>',
            ui,
            claim.get_absolute_url(),
            _("The claim’s page"),
            method_url(),
            claim.status,
            _("How we check"),
            report_url(),
            claim.pk,
            _("Report an error"),
        )
    )
    return format_html_join("", "{}", ((part,) for part in parts))


@register.simple_tag
def claim_badge(claim):
    """The badge after a claimed sentence.

    Without JavaScript it is a link to the claim's page. static/js/badges.js turns it into a
    disclosure button that shows the details kept in the <template> beside it.
    """
    return format_html(
        '<a class="badge badge-{status}" href="{url}" lang="{ui}" data-details="{anchor}-details">{badge}'
        '<span class="visually-hidden"> {hint}</span></a>'
        '<template id="{anchor}-details">{details}</template>',
        status=claim.status,
        url=claim.get_absolute_url(),
        ui=get_language(),
        anchor=claim.anchor_id,
        badge=status_badge(claim.status),
        hint=_("(details of this claim)"),
        details=claim_details(claim),
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
