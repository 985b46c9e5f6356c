"""Send the edge purges still pending (claims/caching/edge.py): run it every minute, or with --loop."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from claims.caching.edge import purge_backend_name, purge_on_commit, send_pending
from claims.caching.revision import ALL


class Command(BaseCommand):
    help = "Send pending edge purges (the outbox of committed changes) to the configured edge."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep sending, every --interval seconds")
        parser.add_argument("--interval", type=float, default=5.0)
        parser.add_argument(
            "--all", dest="purge_all", action="store_true", help="purge every page first (after restoring a backup)"
        )

    def handle(self, *args, loop=False, interval=5.0, purge_all=False, **options):
        if not purge_backend_name():
            self.stdout.write("No edge configured (EDGE_PURGE_BACKEND is empty): nothing to purge.")
            return
        if purge_all:
            with transaction.atomic():
                purge_on_commit([ALL])
        while True:
            sent, failed = send_pending()
            if sent or failed or not loop:
                self.stdout.write(f"Edge purges sent: {sent}; failed (left pending): {failed}")
            if not loop:
                if failed:
                    raise SystemExit(1)
                return
            time.sleep(interval)
