"""The public claims of an article as W3C Web Annotations (docs/annotations.md).

Each claim is one ``Annotation`` (motivation ``assessing``) whose target's ``source`` is the
article's plain text (``/articles/<slug>.txt``, :func:`plain_text`), selected twice: a
``TextQuoteSelector`` and a ``TextPositionSelector`` whose code-point offsets index that text, as
the Web Annotation model counts them: in the source's full text. The article page is the
target's ``scope``: the HTML the text is shown in, where a client anchors by the quote. The text
is built from the same blocks ``claims.rendering.render_article_body`` renders, so a position
never has to be guessed from ``Claim.position`` (an offset in the stored body, which holds "## "
markers).
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from claims import text
from claims.models import Claim, Evidence
from claims.rendering import glued_claims
from claims.structured_data import publisher_name

from .licence import LICENCE_URL

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
PAGE_SIZE = 100
GENERATOR_NAME = "hundredmodels"
QUOTE_CONTEXT = 32  # characters of prefix and suffix, as Claim.prefix and Claim.suffix hold
# The plain text: headings (without "## ") and paragraphs, a blank line between blocks, a line
# break at the end.
BLOCK_SEPARATOR = "\n\n"
TEXT_END = "\n"


@dataclass(frozen=True)
class PlainText:
    """The article's plain text and where each claimed sentence sits in it."""

    text: str
    positions: dict  # claim pk → (start, end) in code points

    def quote(self, claim):
        start, end = self.positions[claim.pk]
        return self.text[max(0, start - QUOTE_CONTEXT) : start], self.text[end : end + QUOTE_CONTEXT]


def plain_text(article, claims=()):
    """The article's plain text (what ``/articles/<slug>.txt`` serves), and the place in it of
    each of ``claims`` the page shows after its sentence."""
    glued = glued_claims(article, claims)
    body = article.body
    pieces = []
    offset = 0
    positions = {}
    for index, block in enumerate(text.parse_blocks(body)):
        if index:
            pieces.append(BLOCK_SEPARATOR)
            offset += len(BLOCK_SEPARATOR)
        shown = block.text if block.kind == "heading" else body[block.start : block.end]
        if block.kind != "heading":
            for start, end in text.split_sentences(block.text, block.start):
                claim = glued.get(start)
                if claim is not None:
                    positions[claim.pk] = (offset + start - block.start, offset + end - block.start)
        pieces.append(shown)
        offset += len(shown)
    pieces.append(TEXT_END)
    return PlainText("".join(pieces), positions)


def extension_context(vocabulary):
    """Our few terms beside the W3C context: the claim's status and each evidence link's stance.

    ``vocabulary`` is the IRI our term names are appended to (the API page's ``#term-`` anchors).
    """
    values = [*Claim.Status.values, *Evidence.Stance.values]
    return {
        "ldp": "http://www.w3.org/ns/ldp#",
        "BasicContainer": "ldp:BasicContainer",
        "status": {"@id": f"{vocabulary}status", "@type": "@vocab"},
        "rating": f"{vocabulary}rating",
        "stance": {"@id": f"{vocabulary}stance", "@type": "@vocab"},
        "title": "dcterms:title",
        "publisher": "dcterms:publisher",
        "published": "dcterms:date",
        "archive": {"@id": f"{vocabulary}archivedCopy", "@type": "@id"},
        **{value: f"{vocabulary}{value}" for value in values},
    }


class AnnotationBuilder:
    """Builds the JSON-LD of one article's annotations; ``absolute`` turns a path into a URL."""

    def __init__(self, article, claims, *, absolute):
        self.article = article
        self.claims = claims
        self.absolute = absolute
        self.plain = plain_text(article, claims)
        self.article_url = absolute(article.get_absolute_url())
        self.text_url = absolute(reverse("claims:article_text", kwargs={"slug": article.slug}))
        self.container_url = absolute(reverse("api:annotations", kwargs={"slug": article.slug}))
        self.context = [ANNO_CONTEXT, extension_context(absolute(reverse("api:docs")) + "#term-")]

    @property
    def creator(self):
        # The publisher, under the id the site's JSON-LD gives it (claims/structured_data.py).
        return {
            "id": self.absolute("/") + "#publisher",
            "type": "Organization",
            "name": _site_name(self.article),
            "nickname": GENERATOR_NAME,
            "homepage": self.absolute("/"),
        }

    @property
    def generator(self):
        return {
            "id": self.absolute(reverse("api:docs")),
            "type": "Software",
            "name": GENERATOR_NAME,
            "homepage": self.absolute(reverse("api:docs")),
        }

    def annotation_url(self, claim):
        return self.absolute(reverse("api:annotation", kwargs={"slug": self.article.slug, "pk": claim.pk}))

    def page_url(self, number):
        return f"{self.container_url}?page={number}"

    @property
    def page_count(self):
        return max(1, -(-len(self.claims) // PAGE_SIZE))

    @property
    def modified(self):
        return max([self.article.updated_at, *(claim.updated_at for claim in self.claims)]).isoformat()

    def target(self, claim):
        selectors = []
        if claim.pk in self.plain.positions:
            start, end = self.plain.positions[claim.pk]
            prefix, suffix = self.plain.quote(claim)
            selectors = [
                {"type": "TextQuoteSelector", "exact": claim.statement, "prefix": prefix, "suffix": suffix},
                {"type": "TextPositionSelector", "start": start, "end": end},
            ]
        else:
            # Not in the text any more (unplaced): the quote as it was, no position.
            selectors = [
                {"type": "TextQuoteSelector", "exact": claim.statement, "prefix": claim.prefix, "suffix": claim.suffix}
            ]
        return {
            "type": "SpecificResource",
            "source": {
                "id": self.text_url,
                "type": "Text",
                "format": "text/plain",
                "language": self.article.language,
            },
            "scope": {
                "id": self.article_url,
                "type": "Text",
                "format": "text/html",
                "language": self.article.language,
            },
            "selector": selectors,
            "state": {"type": "TimeState", "sourceDate": self.article.updated_at.isoformat()},
        }

    def bodies(self, claim):
        language = self.article.language
        with translation.override(language):
            label = str(claim.get_status_display())
            rating = claim.rating if claim.rating_id else None
            if rating is not None:
                label = f"{label} · {rating.label}"
        assessing = {
            "type": "TextualBody",
            "purpose": "assessing",
            "value": label,
            "language": language,
            "format": "text/plain",
            "status": claim.status,
        }
        if rating is not None:
            assessing["rating"] = rating.code  # the code of the CSV's rating column
        bodies = [assessing]
        if claim.verdict_note:
            bodies.append(
                {
                    "type": "TextualBody",
                    "purpose": "describing",
                    "value": claim.verdict_note,
                    "language": language,
                    "format": "text/plain",
                }
            )
        bodies.extend({"type": "TextualBody", "purpose": "tagging", "value": tag.name} for tag in claim.tags.all())
        bodies.append(
            {"type": "SpecificResource", "purpose": "linking", "source": self.absolute(claim.get_absolute_url())}
        )
        for link in claim.evidence.all():
            source = {"id": link.url, "type": "Text"}
            for term, value in (
                ("title", link.title),
                ("publisher", link.publisher),
                ("published", link.published),
                ("archive", link.archive_url),
            ):
                if value:
                    source[term] = value
            bodies.append({"type": "SpecificResource", "purpose": "linking", "source": source, "stance": link.stance})
        return bodies

    def annotation(self, claim, *, with_context=False):
        data = {"@context": self.context} if with_context else {}
        data.update(
            {
                "id": self.annotation_url(claim),
                "type": "Annotation",
                "motivation": "assessing",
                "created": claim.created_at.isoformat(),
                "modified": claim.updated_at.isoformat(),
                "creator": self.creator,
                "generator": self.generator,
                "rights": LICENCE_URL,
                "body": self.bodies(claim),
                "target": self.target(claim),
            }
        )
        return data

    def page(self, number, *, with_context=True):
        items = self.claims[number * PAGE_SIZE : (number + 1) * PAGE_SIZE]
        data = {"@context": self.context} if with_context else {}
        data.update(
            {
                "id": self.page_url(number),
                "type": "AnnotationPage",
                "partOf": {"id": self.container_url, "total": len(self.claims), "modified": self.modified},
                "startIndex": number * PAGE_SIZE,
                "items": [self.annotation(claim) for claim in items],
            }
        )
        if number > 0:
            data["prev"] = self.page_url(number - 1)
        if number + 1 < self.page_count:
            data["next"] = self.page_url(number + 1)
        return data

    def container(self):
        with translation.override(self.article.language):
            label = _("%(title)s: claims and their verdicts") % {"title": self.article.title}
        return {
            "@context": self.context,
            "id": self.container_url,
            "type": ["BasicContainer", "AnnotationCollection"],
            "label": label,
            "total": len(self.claims),
            "modified": self.modified,
            "rights": LICENCE_URL,
            "first": self.page(0, with_context=False),
            "last": self.page_url(self.page_count - 1),
        }


def _site_name(article):
    with translation.override(article.language or settings.LANGUAGE_CODE):
        return publisher_name()
