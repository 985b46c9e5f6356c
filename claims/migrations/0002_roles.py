from django.db import migrations


def create_roles(apps, schema_editor):
    from claims.roles import create_roles

    create_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
