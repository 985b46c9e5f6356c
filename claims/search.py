"""Search as Japanese readers type: full- and half-width forms match (ＮＥＣ = NEC, ｌｌａｍａ = llama,
ﾌｧﾙｺﾝ = ファルコン).

Both the query and the searched text are normalised to Unicode NFKC and lower-cased, in the
database: PostgreSQL's ``normalize(…, NFKC)``; on SQLite a function ``claims_nfkc`` registered on
every connection (``register_sqlite_functions``, connected in ``ClaimsConfig.ready``).

What a search costs does not grow with what is typed (issue 26): only distinct words count (a
word inside another adds nothing and is dropped), at most :data:`MAX_WORDS` of them in at most
:data:`MAX_LENGTH` characters, and all of them are matched against each claim's text normalised
once: on SQLite one function call per row (``claims_contains_all``), on PostgreSQL one
``normalize`` per row compared with ``LIKE ALL`` of the words. On PostgreSQL the search also runs
under its own statement timeout (:func:`search_deadline`); docs/performance.md has the bench.
"""

import contextlib
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, CharField, F, Func, Value
from django.utils.translation import gettext_lazy as _

MAX_WORDS = 8
MAX_LENGTH = 100
WORD_SEPARATOR = "\n"  # never inside a word: words are split on whitespace


def nfkc(value):
    """The form both sides are compared in: NFKC, then lower case."""
    return unicodedata.normalize("NFKC", value or "").lower()


class NFKC(Func):
    """NFKC-normalised, lower-cased text, on SQLite and PostgreSQL."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="claims_nfkc", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="lower(normalize(%(expressions)s, NFKC))", **extra_context)


def contains_all(statement, verdict_note, words):
    """SQLite's ``claims_contains_all``: every word (joined by WORD_SEPARATOR) in the claim's
    searched text, normalised once."""
    folded = nfkc(f"{statement}\n{verdict_note}")
    return all(word in folded for word in words.split(WORD_SEPARATOR))


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("claims_nfkc", 1, nfkc, deterministic=True)
        connection.connection.create_function("claims_contains_all", 3, contains_all, deterministic=True)


def search_words(query):
    """The words that decide a search: normalised, each once, none that is inside another."""
    words = list(dict.fromkeys(nfkc(query).split()))
    return [word for word in words if not any(word != other and word in other for other in words)]


def validate_query(query):
    """Refuse a search that would cost more than a reader's: too long, or too many distinct words."""
    if len(query) > MAX_LENGTH or len(nfkc(query)) > MAX_LENGTH:
        raise ValidationError(
            _("Search with at most %(limit)d characters."), code="search_length", params={"limit": MAX_LENGTH}
        )
    if len(search_words(query)) > MAX_WORDS:
        raise ValidationError(
            _("Search with at most %(limit)d different words."), code="search_words", params={"limit": MAX_WORDS}
        )


def _like_pattern(word):
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# What is searched, on PostgreSQL: the statement and the verdict note (never the internal note),
# normalised. ``normalize`` costs about 15 µs a claim (1.5 s for 100,000 claims), so it is only
# called on a text that is not already in NFKC (the check is ten times cheaper); most of the
# essay's text already is. Written out once, here, because the trigram index of migration 0017
# is built on exactly this expression; the two must stay the same for the index to be used.
POSTGRESQL_SEARCH_TEXT = (
    "(CASE WHEN ({text}) IS NFKC NORMALIZED THEN lower({text}) ELSE lower(normalize({text}, NFKC)) END)"
)
POSTGRESQL_SEARCHED = "({statement} || E'\\n' || {verdict_note})"


class ContainsAll(Func):
    """True when a claim's statement and verdict note, normalised, contain every one of ``words``.

    SQLite: one call of ``claims_contains_all`` a row. PostgreSQL: the longest word alone (``LIKE``,
    which the trigram index answers when it has three characters or more) and the others together
    (``LIKE ALL``, which no index answers, but which normalises the text once for all of them), so
    a row's text is normalised at most twice, whatever the number of words.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, words):
        self.words = list(words)
        super().__init__(F("statement"), F("verdict_note"), Value(WORD_SEPARATOR.join(self.words)))

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="claims_contains_all", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        statement, statement_params = compiler.compile(self.source_expressions[0])
        verdict_note, verdict_note_params = compiler.compile(self.source_expressions[1])
        searched = POSTGRESQL_SEARCHED.format(statement=statement, verdict_note=verdict_note)
        text = POSTGRESQL_SEARCH_TEXT.format(text=searched)
        text_params = (*statement_params, *verdict_note_params) * POSTGRESQL_SEARCH_TEXT.count("{text}")
        longest, *others = sorted(self.words, key=len, reverse=True)
        sql, params = f"{text} LIKE %s", [*text_params, _like_pattern(longest)]
        if others:
            sql += f" AND {text} LIKE ALL (%s::text[])"
            params += [*text_params, [_like_pattern(word) for word in others]]
        return f"({sql})", tuple(params)


def search_claims(queryset, query):
    """Claims whose statement or verdict note contains every word of ``query``, widths folded.
    ``query`` is one that :func:`validate_query` accepted."""
    words = search_words(query)
    if not words:
        return queryset
    return queryset.filter(ContainsAll(words))


@contextlib.contextmanager
def search_deadline():
    """Run a search's queries under ``CLAIMS_SEARCH_TIMEOUT`` seconds on PostgreSQL (a transaction
    with ``SET LOCAL statement_timeout``): a search that would take longer is cancelled, and the
    caller says so, instead of holding a worker. Nothing on SQLite (no statement timeout there)."""
    milliseconds = int(float(getattr(settings, "CLAIMS_SEARCH_TIMEOUT", 2)) * 1000)
    if connection.vendor != "postgresql" or not milliseconds:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = %s", [milliseconds])
        yield


def is_search_cancelled(error):
    """True for PostgreSQL's ``57014 query_canceled`` (the search deadline)."""
    return getattr(getattr(error, "__cause__", None), "sqlstate", None) == "57014"
