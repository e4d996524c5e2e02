from django.db import migrations


def load(apps, schema_editor):
    from hejie.businesses.industries import INDUSTRIES

    Industry = apps.get_model("businesses", "Industry")
    for position, (code, name, name_en) in enumerate(INDUSTRIES):
        Industry.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "position": position})


class Migration(migrations.Migration):
    dependencies = [("businesses", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
