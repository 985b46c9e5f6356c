import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from claims import archiving
from claims.models import Evidence


class Command(BaseCommand):
    help = (
        "Fetch the sources of evidence links now and keep a snapshot of each (docs/archiving.md): those "
        "without one (--missing, the default) or all. Each failure is recorded and listed; nothing waits "
        "for this command (citing a source queues its snapshot for the task worker)."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--missing", action="store_true", help="Only links without a snapshot (default).")
        which.add_argument("--all", action="store_true", help="Every link, again.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, all, no_progress, **options):
        rows = Evidence.objects.all() if all else archiving.without_snapshot()
        rows = list(rows.select_related("claim").order_by("pk"))
        stream = getattr(self.stderr, "_out", sys.stderr)
        tty = stream.isatty() if hasattr(stream, "isatty") else False
        failed = []
        for done, evidence in enumerate(rows, 1):
            snapshot = archiving.archive(evidence)
            if snapshot.error or not snapshot.text:
                failed.append(snapshot)
            if not no_progress:
                filled = 30 * done // len(rows)
                line = f"[{'#' * filled}{'.' * (30 - filled)}] {done}/{len(rows)}"
                stream.write(("\r" + line + ("\n" if done == len(rows) else "")) if tty else line + "\n")
                stream.flush()
        self.stdout.write(
            gettext("%(count)d source(s) fetched: %(kept)d kept with their text, %(failed)d without.")
            % {"count": len(rows), "kept": len(rows) - len(failed), "failed": len(failed)}
        )
        for snapshot in failed:
            problem = snapshot.error or gettext("no text found in the page")
            self.stdout.write(f"  claim #{snapshot.evidence.claim_id} {snapshot.url}: {problem}")
