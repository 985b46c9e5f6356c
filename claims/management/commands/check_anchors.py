from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

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
                raise CommandError(
                    ngettext(
                        "No article with the slug: %(slugs)s",
                        "No articles with the slugs: %(slugs)s",
                        len(missing),
                    )
                    % {"slugs": ", ".join(sorted(missing))}
                )
        lost = 0
        for article in articles:
            plan = services.article_reanchor(article=article).plan
            self.stdout.write(
                f"{article.slug}: {plan.exact} exact, {plan.context} by context, {plan.fuzzy} fuzzy, "
                f"{len(plan.unanchored)} unanchored"
            )
            for claim in plan.unanchored:
                self.stdout.write(f"  unanchored #{claim.pk}: {claim.statement[:80]}")
            lost += len(plan.unanchored)
        if lost:
            raise CommandError(
                ngettext(
                    "%(count)d claim is unanchored; fix it in the admin’s review queue.",
                    "%(count)d claims are unanchored; fix them in the admin’s review queue.",
                    lost,
                )
                % {"count": lost},
                returncode=1,
            )
