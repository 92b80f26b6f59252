"""Published revisions are immutable in the database too, not only through the model.

A bulk ``Revision.objects.update(...)`` or raw SQL bypasses ``Revision.save``; this trigger
refuses any update that changes a revision's content. Only ``current`` (superseded by a newer
version) and ``withdrawn`` may change. Deletion is left to the model guard, because test
databases are flushed between transactional tests.
"""

from django.db import migrations

CONTENT = ["kind", "code", "version", "data", "author_id", "reason", "created_at"]

SQLITE_UP = """
CREATE TRIGGER catalog_revision_immutable BEFORE UPDATE ON catalog_revision
FOR EACH ROW WHEN {changed}
BEGIN SELECT RAISE(ABORT, '已发布的版本不可修改'); END;
""".format(changed=" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT))
SQLITE_DOWN = "DROP TRIGGER IF EXISTS catalog_revision_immutable;"

POSTGRES_UP = """
CREATE FUNCTION catalog_revision_immutable() RETURNS trigger AS $$
BEGIN
  IF {changed} THEN
    RAISE EXCEPTION '已发布的版本不可修改';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER catalog_revision_immutable BEFORE UPDATE ON catalog_revision
FOR EACH ROW EXECUTE FUNCTION catalog_revision_immutable();
""".format(changed=" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CONTENT))
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS catalog_revision_immutable ON catalog_revision;
DROP FUNCTION IF EXISTS catalog_revision_immutable();
"""


def forwards(apps, schema_editor):
    sql = {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    sql = {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
