"""A trigram index for search on PostgreSQL (issue 26); SQLite is untouched.

The index is on exactly the expression claims/search.py searches (POSTGRESQL_SEARCH_TEXT), so a
search word of three characters or more is looked up in the index instead of normalising every
claim's text; shorter words still read every row, under the search's statement timeout.
"""

from django.db import migrations

INDEX = "claims_claim_search_trgm"
SEARCHED = "(statement || E'\\n' || verdict_note)"
# claims/search.py POSTGRESQL_SEARCH_TEXT, on the columns (written out: a migration does not import the app).
EXPRESSION = (
    f"(CASE WHEN ({SEARCHED}) IS NFKC NORMALIZED THEN lower({SEARCHED}) ELSE lower(normalize({SEARCHED}, NFKC)) END)"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON claims_claim USING gin ({EXPRESSION} gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0016_evidence_snapshots")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
