"""Send the edge purges that are due (claims/caching/edge.py): those a commit could not send, and
the second purge of each, REPEAT_AFTER after its first. Run it with --loop beside the app servers
(or every minute from cron: a second purge is then up to a minute late)."""

import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection, transaction

from claims.caching.edge import purge_backend_name, purge_on_commit, send_pending
from claims.caching.revision import ALL
from claims.models import EdgePurge


class Command(BaseCommand):
    help = (
        "Send due edge purges (the outbox of committed changes, and each purge's second send) to the configured edge."
    )

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
            try:
                sent, failed = send_pending()
                waiting = EdgePurge.objects.filter(sent_at=None, repeat_at__isnull=False).count()
            except DatabaseError as error:
                if not loop:
                    raise
                # The database is down or restarting: the rows wait there; try again next round.
                self.stderr.write(f"Edge purges deferred: {error}")
                connection.close()
                time.sleep(interval)
                continue
            if sent or failed or not loop:
                self.stdout.write(
                    f"Edge purges sent: {sent}; failed (left pending): {failed}; "
                    f"waiting for their second send: {waiting}"
                )
            if not loop:
                if failed:
                    raise SystemExit(1)
                return
            time.sleep(interval)
