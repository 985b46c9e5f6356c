from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class ClaimsConfig(AppConfig):
    default = True  # this module holds other apps' configs too (below)
    name = "claims"
    verbose_name = _("Claims desk")

    def ready(self):
        from taggit.models import Tag

        from claims.search import register_sqlite_functions
        from claims.services.tags import ensure_tag_slug

        # taggit saves tags itself (from the claim form, the import, the commands): one guard for all.
        pre_save.connect(ensure_tag_slug, sender=Tag, dispatch_uid="claims.tags.ensure_slug")
        # Search folds full- and half-width forms in the database; SQLite needs the function.
        connection_created.connect(register_sqlite_functions, dispatch_uid="claims.search.sqlite_functions")


# The libraries' apps under names editors read in their language: the admin index and sidebar
# head each app with its verbose_name, which django-axes leaves to Django ("Axes") and
# django-tasks-db writes untranslated ("Tasks Database Backend"). INSTALLED_APPS names these.


class AxesConfig(AxesAppConfig):
    verbose_name = _("Login protection")


class TasksDatabaseConfig(TasksAppConfig):
    verbose_name = _("Background tasks")
