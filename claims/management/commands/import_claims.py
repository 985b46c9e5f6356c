import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from claims.csv import format as csvformat
from claims.csv import importing
from claims.management.language import in_terminal_language
from claims.models import StatusChange
from claims.services import sign_off_applies

PROGRESS_FROM_ROWS = 1000


class Progress:
    """A one-line progress meter on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.tty = stream.isatty() if hasattr(stream, "isatty") else False
        self.last = None

    def __call__(self, label, done, total):
        if not total:
            return
        tenth = done * 10 // total
        if not self.tty and (label, tenth) == self.last:
            return
        self.last = (label, tenth)
        filled = self.WIDTH * done // total
        rows = gettext("%(done)s/%(total)s rows") % {"done": f"{done:,}", "total": f"{total:,}"}
        line = f"{label:<9} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {rows}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import claims from a CSV file (docs/csv.md). Every row is checked first; nothing is written unless "
        "every row is valid. Exits 1 and prints each problem as “row N, column C: reason” otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8 with or without BOM, or Shift_JIS).")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")
        parser.add_argument(
            "--user",
            help="Your username: recorded in the history, and the proposer of the verdicts the file changes (needed with sign-off on).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress meter, even for long files.")

    @in_terminal_language
    def handle(self, *args, file, dry_run, user, no_progress, **options):
        who = None
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(gettext("No user with the username “%(user)s”.") % {"user": user})
            if not who.is_staff or not who.is_active:
                raise CommandError(
                    gettext("“%(user)s” is not an active staff member: only editors import claims.") % {"user": user}
                )
        if who is None and sign_off_applies(StatusChange.Via.IMPORT):
            raise CommandError(
                gettext(
                    "Sign-off is on: the verdicts in the file become proposals, and a proposal needs its "
                    "proposer, so that another chief editor can approve it. Name yourself with --user USERNAME."
                )
            )
        path = Path(file)
        try:
            size = path.stat().st_size
            if size > settings.CLAIMS_IMPORT_MAX_BYTES:
                raise CommandError(
                    gettext(
                        "%(file)s: the file is %(size).1f MB; files up to %(limit).1f MB can be imported "
                        "(CLAIMS_IMPORT_MAX_BYTES)."
                    )
                    % {"file": file, "size": size / 2**20, "limit": settings.CLAIMS_IMPORT_MAX_BYTES / 2**20}
                )
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror or error}") from error
        try:
            table = csvformat.read_table(data)
        except csvformat.FileRefused as error:
            raise CommandError(f"{file}: {' '.join(error.messages)}") from error
        progress = None
        if not no_progress and len(table.rows) >= PROGRESS_FROM_ROWS:
            progress = Progress(getattr(self.stderr, "_out", sys.stderr))
        report = importing.import_table(
            table=table, user=who, dry_run=dry_run, file_name=path.name, progress=progress, keep_outcomes=False
        )
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                ngettext(
                    "%(file)s: %(count)d problem; nothing was imported.",
                    "%(file)s: %(count)d problems; nothing was imported.",
                    len(report.errors),
                )
                % {"file": file, "count": len(report.errors)},
                returncode=1,
            )
        summary = importing.count_summary(report.counts)
        if dry_run:
            self.stdout.write(
                gettext("%(file)s: every row is valid; it would import %(summary)s Nothing was written (--dry-run).")
                % {"file": file, "summary": summary}
            )
        else:
            self.stdout.write(
                gettext("%(file)s: imported %(summary)s (%(encoding)s)")
                % {"file": file, "summary": summary, "encoding": table.encoding}
            )
        if report.proposals:
            self.stdout.write(
                gettext("Proposals wait for another chief editor's sign-off, in the batch “%(batch)s”.")
                % {"batch": report.batch}
            )
