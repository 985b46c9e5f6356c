from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from claims import services

DATA = Path(__file__).resolve().parents[2] / "data"
ESSAY = DATA / "hundred-model-war.ja.md"


class Command(BaseCommand):
    help = "Load the essay as the site's first article with a pending claim for each statement. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(ESSAY), help="Article file (front matter, then the body).")
        parser.add_argument("--draft", action="store_true", help="Load it unpublished.")

    def handle(self, *args, **options):
        try:
            article, created = services.article_load_file(path=options["file"], publish=not options["draft"])
        except (OSError, ValidationError) as error:
            raise CommandError(str(error)) from error
        new_claims = services.article_create_claims(article=article)
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} article “{article.title}” ({article.slug}); {len(new_claims)} new pending claims.")
