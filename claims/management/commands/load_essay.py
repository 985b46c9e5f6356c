from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext, ngettext

from claims import services
from claims.csv import format as csvformat
from claims.csv import importing
from claims.models import Article, StatusChange

DATA = Path(__file__).resolve().parents[2] / "data"
ESSAY = DATA / "hundred-model-war.ja.md"
RECORD = DATA / "hundred-model-war.claims.csv"


class Command(BaseCommand):
    help = gettext(
        "Load the essay as the site's first article with its editorial record (the claims CSV), and add a "
        "pending claim for each statement the record does not cover. Into an empty database only: when the "
        "article is already there it changes nothing and says so; --reload --yes loads the file again over "
        "the editors' work."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(ESSAY), help=gettext("Article file (front matter, then the body)."))
        parser.add_argument("--draft", action="store_true", help=gettext("Load it unpublished."))
        parser.add_argument(
            "--record",
            help=gettext("Claims CSV to import after the article (default: %(name)s, when loading the essay).")
            % {"name": RECORD.name},
        )
        parser.add_argument("--no-record", action="store_true", help=gettext("Do not import the claims CSV."))
        parser.add_argument(
            "--reload",
            action="store_true",
            help=gettext(
                "Load the file and its record again over an article that is already loaded: the editors' changes "
                "to its text and to the claims in the record are overwritten. Asks for confirmation."
            ),
        )
        parser.add_argument("--yes", action="store_true", help=gettext("With --reload: do not ask, overwrite."))

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            meta, _body = services.parse_article_file(path)
        except (OSError, ValidationError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        existing = Article.objects.filter(slug=meta["slug"]).first()
        if existing is not None:
            if not options["reload"]:
                self.stdout.write(
                    gettext(
                        "“%(title)s” (%(slug)s) is already loaded: nothing was changed, so the editors' work stays "
                        "as it is. To load the file over it, run load_essay --reload."
                    )
                    % {"title": existing.title, "slug": existing.slug}
                )
                return
            self.confirm_reload(existing, options)
        record = None
        if not options["no_record"]:
            if options["record"]:
                record = Path(options["record"])
            elif path.resolve() == ESSAY and RECORD.exists():
                record = RECORD
        with transaction.atomic():
            try:
                article, created, _report = services.article_load_file(path=path, publish=not options["draft"])
            except (OSError, ValidationError) as error:
                raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
            imported = self.import_record(record) if record else ""
            new_claims = services.article_create_claims(article=article)
        verb = gettext("Created") if created else gettext("Reloaded")
        self.stdout.write(
            gettext("%(verb)s article “%(title)s” (%(slug)s)%(imported)s; %(count)d new pending claims.")
            % {
                "verb": verb,
                "title": article.title,
                "slug": article.slug,
                "imported": imported,
                "count": len(new_claims),
            }
        )

    def confirm_reload(self, article, options):
        if options["yes"]:
            return
        warning = gettext(
            "This overwrites “%(title)s”: its text and every claim in the record go back to the file, and the "
            "editors' changes to them are lost (each status change is kept in the history). Type “yes” to go on: "
        ) % {"title": article.title}
        try:
            answer = input(warning)
        except EOFError:
            answer = ""
        if answer.strip().lower() != "yes":
            raise CommandError(gettext("Nothing was changed: --reload needs confirmation (type yes, or add --yes)."))

    def import_record(self, path):
        """The record goes in as an import (history: how “import”, who nobody); all rows or none."""
        try:
            # The shipped record is the publication's starting point, not one editor's proposal.
            report = importing.import_bytes(
                path.read_bytes(), file_name=path.name, propose=False, via=StatusChange.Via.LOAD
            )
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
        return gettext("; record %(file)s: %(new)d new, %(updated)d updated, %(unchanged)d unchanged claims") % {
            "file": path.name,
            "new": counts[importing.NEW],
            "updated": counts[importing.UPDATED],
            "unchanged": counts[importing.UNCHANGED],
        }
