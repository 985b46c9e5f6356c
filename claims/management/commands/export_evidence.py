from django.core.management.base import BaseCommand

from claims.csv import exporting

from .export_claims import claims_for, open_output, quiet_stdout


class Command(BaseCommand):
    help = (
        "Export every evidence link with all its fields as CSV, one row per link (docs/csv.md). "
        "For reading and checking; import_claims reads the claims file, not this one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--article", metavar="SLUG", help="Only the evidence of this article's claims.")
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to FILE (default: standard output).")

    def handle(self, *args, article, output, **options):
        out = open_output(self, output)
        try:
            count = exporting.write_csv(out, exporting.evidence_rows(claims_for(article)))
            out.close()
        except BrokenPipeError:
            quiet_stdout()  # The reader stopped early (… | head): not an error.
            return
        if output and output != "-":
            self.stderr.write(f"Wrote {count} evidence links to {output}.")
