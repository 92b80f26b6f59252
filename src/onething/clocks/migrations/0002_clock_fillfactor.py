"""Leave room on every page of the clock table so that marking a warning is a HOT update.

The scan sets only ``warning`` and ``warned_at``, which are in no index; with free space on
the page PostgreSQL writes the new row version beside the old one and touches no index.
A clock row is small (about 50 to a page), and the first scan after an outage may mark a
fifth of them at once, hence a little more room than the case tables' 85.
"""

from django.db import migrations


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE clocks_clock SET (fillfactor = 80)")


class Migration(migrations.Migration):
    dependencies = [("clocks", "0001_initial")]

    operations = [migrations.RunPython(fillfactor, migrations.RunPython.noop)]
