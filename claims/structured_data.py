"""schema.org JSON-LD for a claim's page: a ``Claim`` and, once it is reviewed, a ``ClaimReview``.

The mapping from our statuses to ``reviewRating`` is documented in docs/claimreview.md.
"""

import json

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .models import Claim

Status = Claim.Status

# status → (ratingValue on a 1–5 scale, the English rating name). Pending claims get no review.
# Unsupported has no number: "no source either way" is not a point between true and false.
REVIEW_RATINGS = {
    Status.VERIFIED: (5, "True"),
    Status.OUTDATED: (3, "Outdated"),
    Status.UNSUPPORTED: (None, "Unproven"),
    Status.DISPUTED: (1, "Disputed"),
}
BEST_RATING = 5
WORST_RATING = 1


def publisher_name():
    """The publisher's name, as the feed, the share cards and the JSON-LD give it.

    One place to read it from: ``CLAIMS_PUBLISHER_NAME`` when set, else the site's own name.
    """
    return settings.CLAIMS_PUBLISHER_NAME or _("Hundred models")


_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def ld_json_script(data):
    """A ``<script type="application/ld+json">`` block that no string in ``data`` can break out of."""
    payload = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False).translate(_JSON_ESCAPES)
    # The JSON cannot contain "<", ">" or "&" any more, so it cannot close the script element.
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


def claim_graph(claim, *, absolute):
    """The JSON-LD graph of one claim; ``absolute`` turns a path into a full URL."""
    page = absolute(claim.get_absolute_url())
    article = claim.article
    article_url = absolute(article.get_absolute_url())
    claim_node = {
        "@type": "Claim",
        "@id": f"{page}#claim",
        "url": page,
        "text": claim.statement,
        "inLanguage": article.language,
        "dateCreated": claim.created_at.isoformat(),
        "dateModified": claim.updated_at.isoformat(),
        "appearance": {
            "@type": "Article",
            "@id": f"{article_url}#article",
            "url": absolute(claim.get_article_url()) if claim.is_anchored else article_url,
            "headline": article.title,
        },
    }
    tags = [tag.name for tag in claim.tags.all()]
    if tags:
        claim_node["keywords"] = tags
    graph = [claim_node]
    rating = REVIEW_RATINGS.get(claim.status)
    if rating is not None:
        value, name = rating
        review = {
            "@type": "ClaimReview",
            "@id": f"{page}#review",
            "url": page,
            "claimReviewed": claim.statement,
            "itemReviewed": {"@id": claim_node["@id"]},
            "author": {"@type": "Organization", "name": publisher_name(), "url": absolute("/")},
            "reviewRating": {
                "@type": "Rating",
                "name": name,
                "alternateName": str(claim.get_status_display()),
            },
        }
        if value is not None:
            review["reviewRating"].update(ratingValue=value, bestRating=BEST_RATING, worstRating=WORST_RATING)
        if claim.last_checked:
            review["datePublished"] = claim.last_checked.isoformat()
        if claim.verdict_note:
            review["reviewBody"] = claim.verdict_note
        corrections = [
            correction_comment(
                row.created_at, row.public_note or f"{row.get_from_status_display()} → {row.get_to_status_display()}"
            )
            for row in getattr(claim, "public_history", ())
            if row.from_status != Status.PENDING and row.via != row.Via.LOAD
        ]
        if corrections:
            review["correction"] = corrections
        graph.append(review)
    return {"@context": "https://schema.org", "@graph": graph}


def site_graph(*, absolute):
    """The publication as a schema.org NewsMediaOrganization, with the policies fact-checkers publish."""
    method = absolute(reverse("claims:method"))
    return {
        "@context": "https://schema.org",
        "@type": "NewsMediaOrganization",
        "@id": absolute("/") + "#publisher",
        "name": publisher_name(),
        "url": absolute("/"),
        "publishingPrinciples": method,
        "verificationFactCheckingPolicy": method + "#verdicts",
        "correctionsPolicy": absolute(reverse("claims:corrections_policy")),
        "actionableFeedbackPolicy": absolute(reverse("claims:corrections_policy")) + "#report",
    }


def correction_comment(when, text):
    """A schema.org CorrectionComment: what was corrected, and when."""
    return {"@type": "CorrectionComment", "datePublished": when.isoformat(), "text": text}


def article_graph(article, *, corrections, absolute):
    """The article as a schema.org Article, with its corrections (text corrections, newest first)."""
    node = {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": absolute(article.get_absolute_url()) + "#article",
        "url": absolute(article.get_absolute_url()),
        "headline": article.title,
        "inLanguage": article.language,
        "publisher": {"@id": absolute("/") + "#publisher"},
        "publishingPrinciples": absolute(reverse("claims:method")),
    }
    if article.published_at:
        # In the site's time zone: an essay dated by its day keeps that day (2023-10-01T00:00+09:00).
        node["datePublished"] = timezone.localtime(article.published_at).isoformat()
    if article.corrected_at:
        node["dateModified"] = article.corrected_at.isoformat()
    if corrections:
        node["correction"] = [correction_comment(row.created_at, row.note) for row in corrections]
    return node
