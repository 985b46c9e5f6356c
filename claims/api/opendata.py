"""The public record in bulk: the ClaimReview data feed, and the claims as CSV and JSON.

The downloads have the columns of the editors' export (claims/csv/exporting.py) less those
readers never see: the internal note and the editors' "recheck after" date. Each states the
licence and the date of the data (the content revision's time): the JSON and the feed in their
body, the CSV in its ``Link: rel="license"`` header, its file name and ``Last-Modified``.

The CSV is plain UTF-8 (RFC 4180: CRLF between records, no byte order mark; the editors' Excel
export in the admin keeps its mark) and is described by CSV on the Web metadata at
``claims.csv-metadata.json`` (the address the W3C's "locating metadata" rule looks at first):
each column's name, titles, datatype and meaning, and the licence.
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
from claims.models import Article, Claim, Evidence
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
    exporting.write_csv(out, public_rows(), bom=False)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8; header=present")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    _licence_link(response)
    response["Link"] += f', <{reverse("api:claims_csv_metadata")}>; rel="describedby"; type="{CSVW_MEDIA_TYPE}"'
    return response


CSVW_MEDIA_TYPE = "application/csvm+json"
DATE = {"base": "date", "format": "yyyy-MM-dd"}
# name → (datatype, what it holds). Empty cells are null (CSVW's default "null" is "").
CSV_COLUMNS = {
    "id": ("integer", "The claim's number; its page is /claims/<id>/."),
    "article": ("string", "The slug of the article the statement is in."),
    "statement": ("string", "The sentence of the article, exactly."),
    "kind": ({"base": "string", "format": "claim|not_claim"}, "claim, or not_claim for opinion or rhetoric."),
    "status": (
        {"base": "string", "format": "|".join(Claim.Status.values)},
        "The verdict: " + ", ".join(Claim.Status.values) + " (docs/claimreview.md).",
    ),
    "rating": (
        "string",
        "The code of the claim's rating on the desk's scale (e.g. accurate, mostly_accurate, misleading); "
        "empty while unrated. The scale and each rating's definition are on /method/.",
    ),
    "verdict_note": ("string", "Why this status: the public verdict note."),
    "as_of": (DATE, "The date when the statement was true (outdated claims)."),
    "last_checked": (DATE, "The date of the last check."),
    "tags": ("string", "Tag names, separated by commas."),
    "evidence": ("string", "The evidence links, one per line: stance, URL, title and the rest (docs/csv.md)."),
}


def claims_csv_metadata(*, absolute):
    """CSV on the Web (W3C) metadata for /data/claims.csv."""
    columns = []
    for name, (datatype, description) in CSV_COLUMNS.items():
        columns.append(
            {
                "name": name,
                "titles": {"en": [name], "ja": [csvformat.JAPANESE_COLUMNS[name]]},
                "datatype": datatype,
                "required": name in ("id", "article", "statement", "kind", "status"),
                "dc:description": description,
            }
        )
    return {
        "@context": "http://www.w3.org/ns/csvw",
        "url": absolute(reverse("api:claims_csv")),
        "dc:title": "Hundred models: public claims and their verdicts",
        "dc:license": {"@id": LICENCE_URL},
        "dc:modified": {"@value": data_date().isoformat(), "@type": "xsd:dateTime"},
        "dc:source": absolute(reverse("claims:claim_list")),
        "dialect": {"encoding": "utf-8", "header": True, "lineTerminators": ["\r\n"], "doubleQuote": True},
        "tableSchema": {"columns": columns, "primaryKey": "id"},
    }


@require_safe
def claims_csv_metadata_json(request):
    payload = json.dumps(claims_csv_metadata(absolute=request.build_absolute_uri), ensure_ascii=False, indent=1)
    return _licence_link(HttpResponse(payload, content_type=f"{CSVW_MEDIA_TYPE}; charset=utf-8"))


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
            statuses=Claim.Status.choices,
            stances=Evidence.Stance.choices,
            **kwargs,
        )
