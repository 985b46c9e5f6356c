"""The libraries' admin screens in the editors' language, through the admin's public hooks.

- Task results (django-tasks-db): its column "Task name" and two read-only fields are labelled
  from attribute names, which no catalogue reaches; the same list, re-registered with labels.
- Groups: the role groups keep their names ("Editors", "Chief editors": claims/roles.py finds
  them by name and the migrations create them), and are *shown* by their translated names in the
  group list, the user form's group picker and the users' group filter.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from claims.roles import ROLES

admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = ("id", "task_label", "status", "enqueued_at", "started_at", "finished_at", "priority", "queue_name")

    @admin.display(description=_("task name"))
    def task_label(self, obj):
        return obj.task_name

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj):
        return super().formatted_traceback(obj)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj):
        return super().display_run_after(obj)


def group_label(group):
    """A role group by its translated name; any other group by its own."""
    return gettext(group.name) if group.name in ROLES else group.name


class GroupLabelFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return [(group.pk, group_label(group)) for group in Group.objects.order_by("name")]


admin.site.unregister(Group)
admin.site.unregister(User)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    list_display = ("label",)

    @admin.display(description=_("name"), ordering="name")
    def label(self, group):
        return group_label(group)


@admin.register(User)
class DeskUserAdmin(UserAdmin):
    list_filter = ("is_staff", "is_superuser", "is_active", ("groups", GroupLabelFilter))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = group_label
        return field
