"""Plain-text helpers: the article body format and Japanese sentence splitting.

The body of an article is a small Markdown subset: ``## `` starts a section heading, blank lines
separate paragraphs. Every offset here is an index into the body string, so a claim's anchor
(``Claim.position``) can be checked against the body without rendering it.
"""

import functools
import re
from dataclasses import dataclass

# Sentence ends: the Japanese full stop and the full-width and ASCII ! and ?.
# An ASCII full stop ends a sentence only before white space or the end ("4.41" does not).
TERMINATORS = frozenset("。！？!?")
# Brackets inside which a sentence never ends: 「…。」 is quoted speech, not two sentences.
BRACKETS = {"「": "」", "『": "』", "(": ")", "（": "）", "“": "”", "‘": "’", "［": "］", "[": "]"}
CLOSERS = frozenset(BRACKETS.values())
SYMMETRIC_QUOTES = frozenset('"')
HEADING_PREFIX = "## "
CONTEXT_CHARS = 32
_BLANK_LINES = re.compile(r"\n[ \t\u3000]*\n")


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" or "paragraph"
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int
    section: str
    paragraph: int

    @property
    def length(self):
        return self.end - self.start


def normalize_body(body):
    """Unify line endings and drop the invisible characters that break matching."""
    return body.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")


def parse_blocks(body):
    """Split a body into headings and paragraphs, keeping their offsets."""
    blocks = []
    pos = 0
    for match in [*_BLANK_LINES.finditer(body), None]:
        chunk_end = match.start() if match else len(body)
        _add_chunk(blocks, body, pos, chunk_end)
        if match:
            pos = match.end()
    return blocks


def _add_chunk(blocks, body, start, end):
    # Inside a chunk, each heading line stands alone; the lines between headings form a paragraph.
    para_start = None
    line_start = start
    while line_start < end:
        line_end = body.find("\n", line_start, end)
        if line_end == -1:
            line_end = end
        line = body[line_start:line_end]
        if line.startswith(HEADING_PREFIX):
            if para_start is not None:
                _add_paragraph(blocks, body, para_start, line_start)
                para_start = None
            text_start = line_start + len(HEADING_PREFIX)
            text_start, text_end = _strip_span(body, text_start, line_end)
            if text_end > text_start:
                blocks.append(Block("heading", body[text_start:text_end], text_start, text_end))
        elif para_start is None and line.strip():
            para_start = line_start
        line_start = line_end + 1
    if para_start is not None:
        _add_paragraph(blocks, body, para_start, end)


def _add_paragraph(blocks, body, start, end):
    start, end = _strip_span(body, start, end)
    if end > start:
        blocks.append(Block("paragraph", body[start:end], start, end))


def _strip_span(text, start, end):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text, offset=0):
    """Yield (start, end) spans of the sentences of one paragraph.

    Concatenating the spans and the white space between them gives the text back: nothing is
    dropped or repeated, whatever the input.
    """
    spans = []
    depth = []
    start = None
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if start is None:
            if ch.isspace():
                i += 1
                continue
            start = i
        if ch in BRACKETS:
            depth.append(BRACKETS[ch])
        elif depth and ch == depth[-1]:
            depth.pop()
        elif ch in SYMMETRIC_QUOTES:
            if depth and depth[-1] == ch:
                depth.pop()
            else:
                depth.append(ch)
        elif not depth and _ends_sentence(text, i):
            end = i + 1
            # Keep runs such as "?!" or "。」" (a stray closer) with the sentence they end.
            while end < n and (text[end] in TERMINATORS or text[end] in CLOSERS):
                end += 1
            spans.append((offset + start, offset + end))
            start = None
            i = end
            continue
        i += 1
    if start is not None:
        s, e = _strip_span(text, start, n)
        if e > s:
            spans.append((offset + s, offset + e))
    return spans


def _ends_sentence(text, i):
    ch = text[i]
    if ch in TERMINATORS:
        return True
    return ch == "." and (i + 1 == len(text) or text[i + 1].isspace())


@functools.lru_cache(maxsize=16)
def layout(body):
    """The body's blocks, each with its sentence spans (none for a heading), worked out once per text.

    Splitting is the costliest step of rendering an article (a 1,000-sentence body takes longer to
    split than to render its badges), and a text is rendered far more often than it changes: the
    last few texts are kept, keyed by the text itself. The result is immutable (tuples of frozen
    blocks), so callers share it safely.
    """
    return tuple(
        (block, () if block.kind == "heading" else tuple(split_sentences(block.text, block.start)))
        for block in parse_blocks(body)
    )


def sentences(body):
    """Every sentence of the body's paragraphs, with its section heading."""
    result = []
    section = ""
    paragraph = 0
    for block, spans in layout(body):
        if block.kind == "heading":
            section = block.text
            continue
        for start, end in spans:
            result.append(Sentence(body[start:end], start, end, section, paragraph))
        paragraph += 1
    return result


def context(body, start, end, chars=CONTEXT_CHARS):
    """The prefix and suffix around a span, as a TextQuoteSelector stores them."""
    return body[max(0, start - chars) : start], body[end : end + chars]


def similarity(a, b):
    """How alike two strings are, from 0 to 1, by diff-match-patch's Levenshtein distance."""
    if not a and not b:
        return 1.0
    from diff_match_patch import diff_match_patch

    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0.2
    diffs = dmp.diff_main(a, b)
    return 1 - dmp.diff_levenshtein(diffs) / max(len(a), len(b))


def natural_key(value):
    """Sorts text with numbers by the numbers' values: 第1節, 第2節, 第10節 (not 第1節, 第10節, 第2節).
    Full-width digits count as digits."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", value) if part]
