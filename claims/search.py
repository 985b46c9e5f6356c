"""Search as Japanese readers type: full- and half-width forms match (ＮＥＣ = NEC, ｌｌａｍａ = llama,
ﾌｧﾙｺﾝ = ファルコン).

Both the query and the searched text are normalised to Unicode NFKC and lower-cased, in the
database: PostgreSQL's ``normalize(…, NFKC)``; on SQLite a function ``claims_nfkc`` registered on
every connection (``register_sqlite_functions``, connected in ``ClaimsConfig.ready``).
"""

import unicodedata

from django.db.models import CharField, Func, Value
from django.db.models.functions import Coalesce, Concat


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


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("claims_nfkc", 1, nfkc, deterministic=True)


def search_claims(queryset, query):
    """Claims whose statement, verdict note or rating label (ja or en) contains every word of
    ``query``, widths folded."""
    words = nfkc(query).split()
    if not words:
        return queryset
    queryset = queryset.annotate(
        search_text=NFKC(
            Concat(
                "statement",
                Value("\n"),
                "verdict_note",
                Value("\n"),
                Coalesce("rating__label_ja", Value("")),
                Value("\n"),
                Coalesce("rating__label_en", Value("")),
                output_field=CharField(),
            )
        )
    )
    for word in words:
        queryset = queryset.filter(search_text__contains=word)
    return queryset
