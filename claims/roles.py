"""The editors' roles, as groups of permissions. A migration creates them; tests check each boundary."""

from django.utils.translation import gettext_noop

# The groups' names, as stored: the admin shows them translated (claims/admin/libraries.py).
EDITORS = gettext_noop("Editors")
CHIEF_EDITORS = gettext_noop("Chief editors")

EDITOR_PERMISSIONS = [
    "claims.view_article",
    "claims.view_claim",
    "claims.add_claim",
    "claims.change_claim",
    "claims.view_reviewqueueitem",
    "claims.change_reviewqueueitem",
    "claims.view_evidence",
    "claims.add_evidence",
    "claims.change_evidence",
    "claims.delete_evidence",
    "claims.view_statuschange",
    "claims.view_proposal",
    "claims.view_report",
    "claims.change_report",
    "claims.view_articlecorrection",
    "taggit.view_tag",
    "taggit.add_tag",
    "claims.view_ratingscale",
    "claims.view_rating",
    "claims.view_aboutpage",
]

CHIEF_EDITOR_PERMISSIONS = EDITOR_PERMISSIONS + [
    "claims.add_article",
    "claims.change_article",
    "claims.delete_article",
    "claims.delete_claim",
    "claims.delete_reviewqueueitem",
    "claims.import_claim",
    "claims.approve_proposal",
    "claims.change_proposal",
    "taggit.change_tag",
    "taggit.delete_tag",
    "claims.add_ratingscale",
    "claims.change_ratingscale",
    "claims.add_rating",
    "claims.change_rating",
    "claims.delete_rating",
    "claims.change_aboutpage",
]

ROLES = {EDITORS: EDITOR_PERMISSIONS, CHIEF_EDITORS: CHIEF_EDITOR_PERMISSIONS}


def create_roles(apps):
    """Create or update the role groups; ``apps`` is a migration's app registry or the real one."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # A migration's app stubs have no models module, and create_permissions skips those;
        # the real registry's is put back as it was.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = []
        for code in codes:
            app_label, codename = code.split(".")
            # A permission of a model that a later migration adds is not there yet: that
            # migration runs create_roles again.
            perms.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)
