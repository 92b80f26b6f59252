"""Leave room on every page of the case tables so that marking a warning is a HOT update."""

from django.db import migrations


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("cases_subcase", "cases_application"):
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = 85)")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(fillfactor, migrations.RunPython.noop)]
