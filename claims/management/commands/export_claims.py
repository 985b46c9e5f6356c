import io
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from claims.csv import exporting
from claims.models import Article, Claim


def open_output(command, path):
    """A text stream for the CSV: the file, or stdout as UTF-8 whatever the terminal's encoding."""
    if path and path != "-":
        try:
            return open(path, "w", encoding="utf-8", newline="")
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from error
    out = getattr(command.stdout, "_out", sys.stdout)
    if hasattr(out, "buffer"):
        out.flush()
        return _Unclosable(io.TextIOWrapper(out.buffer, encoding="utf-8", newline=""), detach=True)
    return _Unclosable(out)


class _Unclosable:
    """stdout as a text stream: written to and flushed, never closed (Django still writes to it)."""

    def __init__(self, out, *, detach=False):
        self.out = out
        self.detach = detach

    def write(self, value):
        return self.out.write(value)

    def close(self):
        self.out.flush()
        if self.detach:
            self.out.detach()


def quiet_stdout():
    """Point stdout at /dev/null, so that Python's flush at exit does not fail on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def claims_for(slug):
    claims = Claim.objects.all()
    if slug:
        if not Article.objects.filter(slug=slug).exists():
            raise CommandError(gettext("No article with the slug “%(slug)s”.") % {"slug": slug})
        claims = claims.filter(article__slug=slug)
    return claims


class Command(BaseCommand):
    help = (
        "Export claims as CSV, one row per claim (docs/csv.md): UTF-8 with BOM for Excel, formulas escaped, "
        "streamed so that memory stays flat however many claims there are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--article", metavar="SLUG", help="Only the claims of this article.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE (default: standard output).")
        parser.add_argument(
            "--japanese",
            action="store_true",
            help="Japanese column names and labels (記事, 文, ステータス: 検証済み…); the import reads them back.",
        )

    def handle(self, *args, article, output, japanese, **options):
        claims = claims_for(article)
        out = open_output(self, output)
        try:
            count = exporting.write_csv(out, exporting.claim_rows(claims, japanese=japanese))
            out.close()
        except BrokenPipeError:
            quiet_stdout()  # The reader stopped early (… | head): not an error.
            return
        if output and output != "-":
            self.stderr.write(f"Wrote {count} claims to {output}.")
