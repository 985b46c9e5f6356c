from django.core.management.base import BaseCommand

from claims.csv import jobs


class Command(BaseCommand):
    help = (
        "Delete CSV uploads that were never confirmed, and end the background imports no worker finished, "
        "once they are older than CLAIMS_IMPORT_UPLOAD_MAX_AGE_HOURS. Each upload and each job does this too; "
        "run it from cron where uploads are rare."
    )

    def handle(self, *args, **options):
        removed = jobs.clean_uploads()
        self.stdout.write(f"Deleted {removed} old upload(s) from {jobs.upload_dir()}.")
