from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from claims import services
from claims.models import Article


class Command(BaseCommand):
    help = "Split an article into statements and create a pending claim for each statement that has none."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, *args, slug, **options):
        article = Article.objects.filter(slug=slug).first()
        if article is None:
            raise CommandError(gettext("No article with the slug “%(slug)s”.") % {"slug": slug})
        created = services.article_create_claims(article=article)
        coverage = services.article_coverage(article)
        self.stdout.write(
            f"{len(created)} new pending claims; {coverage.statements} statements, {coverage.undecided} not yet decided."
        )
