"""The Atom feed of status changes: what readers follow to see verdicts change."""

from django.contrib.syndication.views import Feed
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Claim, StatusChange
from .validators import visible_text

ITEMS = 50


class StatusChangeFeed(Feed):
    feed_type = Atom1Feed
    link = reverse_lazy("claims:claim_list")
    title = gettext_lazy("Hundred models: status changes")
    subtitle = gettext_lazy("Claims of the essay whose verification status changed, newest first.")

    def items(self):
        # Never the editor (user) or an import's note: only what the claim page shows too.
        return (
            StatusChange.objects.filter(claim__in=Claim.objects.public())
            .select_related("claim")
            .only(
                "from_status",
                "to_status",
                "note",
                "via",
                "created_at",
                "claim__id",
                "claim__statement",
                "claim__status",
                "claim__verdict_note",
            )[:ITEMS]
        )

    def item_title(self, item):
        return _("%(statement)s: %(from)s → %(to)s") % {
            "statement": Truncator(visible_text(item.claim.statement)).chars(80),
            "from": item.get_from_status_display(),
            "to": item.get_to_status_display(),
        }

    def item_description(self, item):
        # The summary is HTML to a feed reader: the editors' text goes in escaped, as text. Text
        # stored before the validator refused hidden characters loses them here: XML cannot carry
        # control characters, and one such note would break the whole feed.
        return escape(visible_text(item.public_note or item.claim.verdict_note))

    def item_link(self, item):
        return reverse("claims:claim", kwargs={"pk": item.claim_id}) + f"#change-{item.pk}"

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.created_at
