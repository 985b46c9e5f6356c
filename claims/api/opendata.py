"""The public record in bulk: the ClaimReview data feed, and the claims as CSV and JSON.

The downloads have the columns of the editors' export (claims/csv/exporting.py) less those
readers never see: the internal note and the editors' "recheck after" date. Each states the
licence and the date of the data (the content revision's time): the JSON and the feed in their
body, the CSV in its ``Link: rel="license"`` header, its file name and ``Last-Modified``.
"""

import io
import json

from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from claims.csv import exporting
from claims.csv import format as csvformat
from claims.models import Article, Claim
from claims.structured_data import REVIEW_RATINGS, claim_graph, scale_bounds

from .http import add_cors, data_date
from .licence import LICENCE_NAME, LICENCE_URL

HIDDEN_COLUMNS = ("internal_note", "recheck_after")
PUBLIC_COLUMNS = [column for column in csvformat.COLUMNS if column not in HIDDEN_COLUMNS]


def _licence_link(response):
    response["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return add_cors(response)


# ---------------------------------------------------------------------------------------------
# ClaimReview


def claim_reviews(*, absolute):
    """One ClaimReview, with its Claim embedded, per public claim that has been decided."""
    claims = (
        Claim.objects.public()
        .filter(status__in=list(REVIEW_RATINGS))
        .select_related("article", "rating")
        .defer("article__body", "article__lead")
        .prefetch_related("tags")
        .order_by("pk")
    )
    bounds = scale_bounds()
    for claim in claims:
        # In the article's language, whoever asks: the feed is the same for every reader.
        with translation.override(claim.article.language):
            claim_node, review = claim_graph(claim, absolute=absolute, bounds=bounds)["@graph"]
        yield claim, {**review, "itemReviewed": claim_node}


def claimreview_feed(*, absolute):
    date = data_date().isoformat()
    return {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "name": "Hundred models: ClaimReview",
        "url": absolute(reverse("api:claimreview")),
        "dateModified": date,
        "license": LICENCE_URL,
        "dataFeedElement": [
            {"@type": "DataFeedItem", "dateModified": claim.updated_at.isoformat(), "item": [review]}
            for claim, review in claim_reviews(absolute=absolute)
        ],
    }


@require_safe
def claimreview_json(request):
    payload = json.dumps(claimreview_feed(absolute=request.build_absolute_uri), ensure_ascii=False, indent=1)
    return _licence_link(HttpResponse(payload, content_type="application/ld+json; charset=utf-8"))


# ---------------------------------------------------------------------------------------------
# Bulk downloads


def public_rows():
    """The header, then the cells of every public claim, in the editors' export order."""
    keep = [index for index, column in enumerate(csvformat.COLUMNS) if column not in HIDDEN_COLUMNS]
    for row in exporting.claim_rows(Claim.objects.public()):
        yield [row[index] for index in keep]


def _filename(extension):
    return f"hundredmodels-claims-{data_date().date().isoformat()}.{extension}"


@require_safe
def claims_csv(request):
    out = io.StringIO()
    exporting.write_csv(out, public_rows())
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return _licence_link(response)


def claims_document(*, absolute):
    rows = public_rows()
    header = next(rows)
    return {
        "license": {"name": LICENCE_NAME, "url": LICENCE_URL},
        "dateModified": data_date().isoformat(),
        "source": absolute(reverse("claims:claim_list")),
        "columns": header,
        "claims": [dict(zip(header, row, strict=True)) for row in rows],
    }


@require_safe
def claims_json(request):
    payload = json.dumps(claims_document(absolute=request.build_absolute_uri), ensure_ascii=False, indent=1)
    response = HttpResponse(payload, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{_filename("json")}"'
    return _licence_link(response)


# ---------------------------------------------------------------------------------------------
# The documentation page


class ApiDocsView(TemplateView):
    template_name = "claims/api_docs.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            articles=Article.objects.published().only("slug", "title"),
            data_date=data_date(),
            licence_name=LICENCE_NAME,
            licence_url=LICENCE_URL,
            **kwargs,
        )
