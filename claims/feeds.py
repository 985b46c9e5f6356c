"""The Atom feed of status changes and corrections: what readers follow to see verdicts change.

The initial load of the shipped record is not news: it stays out of the feed.
"""

from django.contrib.syndication.views import Feed
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Article, ArticleCorrection, Claim, StatusChange, Withdrawal
from .structured_data import publisher_name
from .validators import visible_text

ITEMS = 50


class StatusChangeFeed(Feed):
    feed_type = Atom1Feed
    link = reverse_lazy("claims:claim_list")
    title = gettext_lazy("Hundred models: status changes")
    subtitle = gettext_lazy("Claims of the essay whose verification status changed, newest first.")

    # RFC 4287 4.1.1: a feed names its author, and so does each entry (the publisher, the desk).
    def author_name(self):
        return publisher_name()

    def item_author_name(self, item):
        return publisher_name()

    def items(self):
        # Never the editor (user) or an import's note: only what the claim page shows too.
        changes = (
            StatusChange.objects.filter(claim__in=Claim.objects.public())
            .exclude(via=StatusChange.Via.LOAD)
            .select_related("claim__rating")
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
                "claim__rating__label_ja",
                "claim__rating__label_en",
            )[:ITEMS]
        )
        corrections = ArticleCorrection.objects.filter(article__in=Article.objects.published()).select_related(
            "article"
        )[:ITEMS]
        withdrawals = Withdrawal.objects.public().select_related("article")[:ITEMS]
        return sorted([*changes, *corrections, *withdrawals], key=lambda item: item.created_at, reverse=True)[:ITEMS]

    def item_title(self, item):
        if isinstance(item, Withdrawal):
            return _("%(statement)s: withdrawn") % {"statement": Truncator(visible_text(item.statement)).chars(80)}
        if isinstance(item, ArticleCorrection):
            return _("Correction to “%(title)s”") % {"title": Truncator(item.article.title).chars(80)}
        return _("%(statement)s: %(from)s → %(to)s") % {
            "statement": Truncator(visible_text(item.claim.statement)).chars(80),
            "from": item.get_from_status_display(),
            "to": item.get_to_status_display(),
        }

    def item_description(self, item):
        if isinstance(item, Withdrawal):
            return escape(visible_text(item.note or item.get_reason_display()))
        if isinstance(item, ArticleCorrection):
            lines = [visible_text(item.note)] + [
                _("Before: %(before)s / After: %(after)s") % {"before": change["before"], "after": change["after"]}
                for change in item.changes
            ]
            return escape("\n".join(lines))
        # The summary is HTML to a feed reader: the editors' text goes in escaped, as text. Text
        # stored before the validator refused hidden characters loses them here: XML cannot carry
        # control characters, and one such note would break the whole feed.
        text = visible_text(item.public_note or item.claim.verdict_note)
        rating = item.claim.rating if item.claim.rating_id else None
        if rating is not None:
            text = _("Rating: %(rating)s. %(text)s") % {"rating": rating.label, "text": text}
        return escape(text)

    def item_link(self, item):
        if isinstance(item, Withdrawal):
            return item.get_absolute_url()
        if isinstance(item, ArticleCorrection):
            return item.get_absolute_url()
        return reverse("claims:claim", kwargs={"pk": item.claim_id}) + f"#change-{item.pk}"

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.created_at
