from django import template
from django.utils.html import format_html

from claims.models import Claim

register = template.Library()

# Each status has an icon and a word, so colour is never the only signal.
STATUS_ICONS = {
    Claim.Status.VERIFIED: "✓",
    Claim.Status.DISPUTED: "!",
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
