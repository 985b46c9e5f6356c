"""Export claims and evidence as CSV rows, streamed: memory stays flat however many claims there are.

Claims are read with ``.iterator()`` and their evidence and tags fetched a chunk of claims at a
time, so an export holds at most ``CHUNK`` claims in memory. The cells are exactly what the
importer reads back (docs/csv.md).
"""

from collections import defaultdict
from itertools import islice

from django.contrib.contenttypes.models import ContentType
from taggit.models import TaggedItem

from claims.csv import format as csvformat
from claims.models import EVIDENCE_FIELDS, Claim, Evidence

CHUNK = 2000
CLAIM_FIELDS = [
    "statement",
    "position",
    "is_claim",
    "status",
    "verdict_note",
    "internal_note",
    "as_of",
    "recheck_after",
    "last_checked",
]


def _batches(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def export_queryset(queryset=None):
    """The claims in export order: article by slug, then place in the article."""
    queryset = Claim.objects.all() if queryset is None else queryset
    return queryset.select_related("article").order_by("article__slug", "position", "pk")


def claim_rows(queryset=None, *, japanese=False):
    """The header, then one list of cells per claim (``japanese``: Japanese headers and labels)."""
    yield [csvformat.JAPANESE_COLUMNS[c] for c in csvformat.COLUMNS] if japanese else list(csvformat.COLUMNS)
    content_type = ContentType.objects.get_for_model(Claim)
    claims = export_queryset(queryset).select_related("rating").only("article__slug", "rating__code", *CLAIM_FIELDS)
    for batch in _batches(claims.iterator(chunk_size=CHUNK), CHUNK):
        ids = [claim.pk for claim in batch]
        links, tags = defaultdict(list), defaultdict(list)
        for link in Evidence.objects.filter(claim_id__in=ids).order_by("pk").values("claim_id", *EVIDENCE_FIELDS):
            links[link["claim_id"]].append(link)
        for object_id, name in (
            TaggedItem.objects.filter(content_type=content_type, object_id__in=ids)
            .order_by("pk")
            .values_list("object_id", "tag__name")
        ):
            tags[object_id].append(name)
        for claim in batch:
            cells = csvformat.claim_cells(
                claim,
                slug=claim.article.slug,
                tag_names=tags[claim.pk],
                links=links[claim.pk],
                rating=claim.rating.code if claim.rating_id else "",
            )
            if japanese:
                cells = csvformat.japanese_cells(cells)
            yield [cells[column] for column in csvformat.COLUMNS]


def evidence_rows(queryset=None):
    """The header, then one list of cells per evidence link of the claims, with every field."""
    yield list(csvformat.EVIDENCE_COLUMNS)
    links = (
        Evidence.objects.filter(claim__in=export_queryset(queryset).values("pk"))
        .select_related("claim__article")
        .order_by("claim__article__slug", "claim__position", "claim_id", "pk")
    )
    for link in links.iterator(chunk_size=CHUNK):
        yield [
            str(link.pk),
            str(link.claim_id),
            link.claim.article.slug,
            link.claim.statement,
            link.stance,
            link.url,
            link.title,
            link.publisher,
            link.published,
            csvformat.format_date(link.accessed),
            link.archive_url,
            link.excerpt,
            link.link_status,
            str(link.link_status_code or ""),
            link.link_checked_at.isoformat() if link.link_checked_at else "",
            link.link_error,
        ]


def write_csv(out, rows, *, bom=True):
    """Write the rows to a text stream; returns how many rows followed the header. ``bom``: the
    byte order mark Excel needs (the editors' files); plain UTF-8 readers want none."""
    writer = csvformat.CSVWriter(out, bom=bom)
    count = -1
    for row in rows:
        writer.writerow(row)
        count += 1
    return max(count, 0)


def stream_csv(rows):
    """The CSV text in pieces, for a StreamingHttpResponse."""
    echo = csvformat.Echo()
    yield csvformat.BOM
    writer = csvformat.CSVWriter(echo, bom=False)
    for row in rows:
        yield writer.writerow(row)
