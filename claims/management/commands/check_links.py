from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from claims.archiving import check_sources
from claims.linkcheck import MAX_WORKERS, evidence_check_links
from claims.models import Evidence, Snapshot


class Command(BaseCommand):
    help = (
        "Visit every evidence link, record whether it still works, and list the dead ones with their "
        "archived copies; then compare each source with its snapshot and list the claims whose source changed "
        "(出典の変化 in the review queue). Exits 1 if any link is dead. Meant for cron; never run by a page request."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=10.0, help="Seconds to wait for each link (10).")
        parser.add_argument(
            "--workers", type=int, default=MAX_WORKERS, help=f"Hosts visited at once (at most {MAX_WORKERS})."
        )
        parser.add_argument(
            "--delay", type=float, default=1.0, help="Seconds between two requests to the same host (1)."
        )
        parser.add_argument(
            "--older-than",
            type=float,
            default=0,
            metavar="DAYS",
            help="Only links not checked in the last DAYS days (all by default).",
        )

        parser.add_argument(
            "--no-sources", action="store_true", help="Do not compare the sources with their snapshots."
        )

    def handle(self, *args, timeout, workers, delay, older_than, no_sources=False, **options):
        if timeout <= 0 or workers < 1 or delay < 0:
            raise CommandError(gettext("--timeout and --workers must be positive, --delay not negative."))
        checked_before = timezone.now() - timedelta(days=older_than) if older_than else None
        results = evidence_check_links(timeout=timeout, workers=workers, delay=delay, checked_before=checked_before)
        counts = dict.fromkeys(Evidence.LinkStatus.values, 0)
        for row in Evidence.objects.filter(pk__in=results).values_list("link_status", flat=True):
            counts[row] += 1
        self.stdout.write(
            f"{len(results)} link(s) checked: {counts['ok']} working, {counts['failing']} failed once, "
            f"{counts['dead']} dead"
        )
        dead = Evidence.objects.filter(link_status=Evidence.LinkStatus.DEAD).select_related("claim")
        for evidence in dead.order_by("claim_id", "pk"):
            self.stdout.write(
                f"  dead: claim #{evidence.claim_id} {evidence.url} ({evidence.link_status_code or evidence.link_error})"
            )
            self.stdout.write(
                f"        archived copy: {evidence.archive_url}" if evidence.archive_url else "        no archived copy"
            )
        if not no_sources:
            self.report_sources(None if not checked_before else Evidence.objects.filter(pk__in=results), delay)
        count = dead.count()
        if count:
            raise CommandError(
                ngettext(
                    "%(count)d evidence link is dead; see the review queue in the admin.",
                    "%(count)d evidence links are dead; see the review queue in the admin.",
                    count,
                )
                % {"count": count},
                returncode=1,
            )

    def report_sources(self, evidence, delay):
        found = check_sources(evidence, delay=delay)
        waiting = Snapshot.objects.drifted().select_related("evidence").order_by("evidence__claim_id", "pk")
        self.stdout.write(
            f"{len(found)} source change(s) found; {waiting.count()} waiting in the review queue (出典の変化)"
        )
        for snapshot in waiting:
            self.stdout.write(
                f"  source changed: claim #{snapshot.evidence.claim_id} {snapshot.url} ({snapshot.get_drift_display()})"
            )
