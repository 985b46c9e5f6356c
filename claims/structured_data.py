"""schema.org JSON-LD for a claim's page: a ``Claim`` and, once it is reviewed, a ``ClaimReview``.

The mapping from our statuses and ratings to ``reviewRating`` is documented in docs/claimreview.md.
"""

import json

from django.conf import settings
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .models import Claim, Rating

Status = Claim.Status

# An unrated decision: the status's English rating word, and no number (docs/claimreview.md).
# A number comes only from a rating of the desk's scale (Rating.review_value).
STATUS_RATING_NAMES = {
    Status.VERIFIED: "True",
    Status.OUTDATED: "Outdated",
    Status.UNSUPPORTED: "Unproven",
    Status.DISPUTED: "Disputed",
}
REVIEW_RATINGS = STATUS_RATING_NAMES  # the statuses that get a ClaimReview


def scale_bounds(scale_ids=None):
    """{scale id: (best, worst)}: the highest and lowest ClaimReview value of each scale."""
    rows = Rating.objects.filter(review_value__isnull=False)
    if scale_ids is not None:
        rows = rows.filter(scale_id__in=scale_ids)
    bounds = rows.values("scale_id").annotate(best=Max("review_value"), worst=Min("review_value"))
    return {row["scale_id"]: (row["best"], row["worst"]) for row in bounds}


def review_rating(claim, *, bounds=None):
    """The ClaimReview ``reviewRating`` of a decided claim.

    ``alternateName`` is the rating's label (the status label while unrated); ``ratingValue``,
    ``bestRating`` and ``worstRating`` come from the rating's scale, and only for a rating with a
    number: an unrated claim and a rating without one (根拠不明, 判定留保) publish none.
    """
    rating = claim.rating if claim.rating_id else None
    if rating is None or rating.status == Rating.NOT_A_CLAIM:
        return {
            "@type": "Rating",
            "name": STATUS_RATING_NAMES[claim.status],
            "alternateName": str(claim.get_status_display()),
        }
    node = {"@type": "Rating", "name": rating.label_en, "alternateName": rating.label}
    if rating.review_value is not None:
        bounds = bounds if bounds is not None else scale_bounds([rating.scale_id])
        best, worst = bounds[rating.scale_id]
        node.update(ratingValue=rating.review_value, bestRating=best, worstRating=worst)
    return node


def publisher_name():
    """The publisher's name, as the feed, the share cards and the JSON-LD give it.

    One place to read it from: ``CLAIMS_PUBLISHER_NAME`` when set, else the site's own name. It is
    configuration, not the text of 運営者情報 (AboutPage): every page's JSON-LD names it, and a
    page renders in a fixed number of queries.
    """
    return settings.CLAIMS_PUBLISHER_NAME or _("Hundred models")


_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def ld_json_script(data):
    """A ``<script type="application/ld+json">`` block that no string in ``data`` can break out of."""
    payload = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False).translate(_JSON_ESCAPES)
    # The JSON cannot contain "<", ">" or "&" any more, so it cannot close the script element.
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


def claim_graph(claim, *, absolute, bounds=None):
    """The JSON-LD graph of one claim; ``absolute`` turns a path into a full URL; ``bounds`` is
    :func:`scale_bounds` when the caller has it (the feed, for every claim at once)."""
    page = absolute(claim.get_absolute_url())
    article = claim.article
    article_url = absolute(article.get_absolute_url())
    publisher = {"@type": "Organization", "@id": absolute("/") + "#publisher", "name": publisher_name()}
    claim_node = {
        "@type": "Claim",
        "@id": f"{page}#claim",
        "url": page,
        "text": claim.statement,
        "inLanguage": article.language,
        # Who made the claim: the essay, published by this site.
        "author": {**publisher, "url": absolute("/")},
        "appearance": {
            "@type": "Article",
            "@id": f"{article_url}#article",
            "url": absolute(claim.get_article_url()) if claim.is_anchored else article_url,
            "headline": article.title,
        },
        "firstAppearance": {"@type": "CreativeWork", "url": article_url, "headline": article.title},
    }
    # The claim's dates are the essay's: it was made when the essay was written or first published
    # (Article.written, "2023-10" for the shipped essay), else when it was published here; never
    # when the database row was written, which is the day the record was loaded.
    made = article.written or (article.published_at.isoformat() if article.published_at else "")
    if made:
        claim_node["datePublished"] = claim_node["dateCreated"] = made
        claim_node["firstAppearance"]["datePublished"] = made
    tags = [tag.name for tag in claim.tags.all()]
    if tags:
        claim_node["keywords"] = tags
    graph = [claim_node]
    if claim.status in STATUS_RATING_NAMES:
        review = {
            "@type": "ClaimReview",
            "@id": f"{page}#review",
            "url": page,
            "claimReviewed": claim.statement,
            "itemReviewed": {"@id": claim_node["@id"]},
            "author": {**publisher, "url": absolute("/")},
            "reviewRating": review_rating(claim, bounds=bounds),
        }
        history = list(getattr(claim, "public_history", ()))
        decisions = sorted(row.created_at for row in history if row.to_status != Status.PENDING)
        # The review's dates are the record's: its first decision (the history, which dates the
        # shipped record from its own checks) and its last check.
        if decisions:
            review["datePublished"] = timezone.localdate(decisions[0]).isoformat()
        elif claim.last_checked:
            review["datePublished"] = claim.last_checked.isoformat()
        if claim.last_checked:
            review["dateModified"] = claim.last_checked.isoformat()
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
    about = absolute(reverse("claims:about"))
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
        # 運営者情報: who publishes, owns and funds the site, its non-partisanship, who its editors are.
        "ownershipFundingInfo": about + "#ownership",
        "ethicsPolicy": about + "#nonpartisanship",
        "masthead": about + "#editors",
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
