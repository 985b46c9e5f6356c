from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import ngettext

from claims import csvformat, importing, services

DATA = Path(__file__).resolve().parents[2] / "data"
ESSAY = DATA / "hundred-model-war.ja.md"
RECORD = DATA / "hundred-model-war.claims.csv"


class Command(BaseCommand):
    help = (
        "Load the essay as the site's first article, import its editorial record (the claims CSV) when it "
        "exists, and add a pending claim for each statement the record does not cover. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(ESSAY), help="Article file (front matter, then the body).")
        parser.add_argument("--draft", action="store_true", help="Load it unpublished.")
        parser.add_argument(
            "--record",
            help=f"Claims CSV to import after the article (default: {RECORD.name}, when loading the essay).",
        )
        parser.add_argument("--no-record", action="store_true", help="Do not import the claims CSV.")

    def handle(self, *args, **options):
        record = None
        if not options["no_record"]:
            if options["record"]:
                record = Path(options["record"])
            elif Path(options["file"]).resolve() == ESSAY and RECORD.exists():
                record = RECORD
        with transaction.atomic():
            try:
                article, created = services.article_load_file(path=options["file"], publish=not options["draft"])
            except (OSError, ValidationError) as error:
                raise CommandError(str(error)) from error
            imported = self.import_record(record) if record else ""
            new_claims = services.article_create_claims(article=article)
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} article “{article.title}” ({article.slug}){imported}; {len(new_claims)} new pending claims."
        )

    def import_record(self, path):
        """The record goes in as an import (history: how “import”, who nobody); all rows or none."""
        try:
            report = importing.import_bytes(path.read_bytes(), file_name=path.name)
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from error
        except csvformat.FileRefused as error:
            raise CommandError(f"{path}: {' '.join(error.messages)}") from error
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                ngettext(
                    "%(file)s: %(count)d problem; nothing was loaded.",
                    "%(file)s: %(count)d problems; nothing was loaded.",
                    len(report.errors),
                )
                % {"file": path, "count": len(report.errors)}
            )
        counts = report.counts
        return (
            f"; record {path.name}: {counts[importing.NEW]} new, {counts[importing.UPDATED]} updated, "
            f"{counts[importing.UNCHANGED]} unchanged claims"
        )
