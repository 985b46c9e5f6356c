from django.core.management.base import BaseCommand, CommandError

from claims import services
from claims.models import Article


class Command(BaseCommand):
    help = "Re-anchor claims to their statements and list the ones that lost their place. Exits 1 if any did."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="Articles to check (all by default).")

    def handle(self, *args, slugs, **options):
        articles = Article.objects.all()
        if slugs:
            articles = articles.filter(slug__in=slugs)
            missing = set(slugs) - set(articles.values_list("slug", flat=True))
            if missing:
                raise CommandError(f"No article with the slug: {', '.join(sorted(missing))}")
        lost = 0
        for article in articles:
            report = services.article_reanchor(article=article)
            self.stdout.write(
                f"{article.slug}: {report.exact} exact, {report.context} by context, {report.fuzzy} fuzzy, "
                f"{len(report.unanchored)} unanchored"
            )
            for claim in report.unanchored:
                self.stdout.write(f"  unanchored #{claim.pk}: {claim.statement[:80]}")
            lost += len(report.unanchored)
        if lost:
            raise CommandError(f"{lost} claim(s) are unanchored; fix them in the admin's review queue.", returncode=1)
