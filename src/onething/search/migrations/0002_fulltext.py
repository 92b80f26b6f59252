"""The full-text index over search documents, per database vendor.

SQLite: an external-content FTS5 table plus triggers keeping it in step with the texts.
The index is over the distinct search texts (SearchText), not the documents.
PostgreSQL: a generated tsvector column (config 'simple') with a GIN index.
The SQL is frozen here on purpose; ``onething.search.backends`` holds the same statements for
``rebuild-search-index`` to re-create them idempotently.
"""

from django.db import migrations

T = "search_searchtext"
F = "search_fts"

SQL = {
    "sqlite": [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {F} USING fts5(name_tokens, extra_tokens, "
        f"content='{T}', content_rowid='id', tokenize='unicode61')",
        f"CREATE TRIGGER IF NOT EXISTS {F}_ai AFTER INSERT ON {T} BEGIN "
        f"INSERT INTO {F}(rowid, name_tokens, extra_tokens) VALUES (new.id, new.name_tokens, new.extra_tokens); END",
        f"CREATE TRIGGER IF NOT EXISTS {F}_ad AFTER DELETE ON {T} BEGIN "
        f"INSERT INTO {F}({F}, rowid, name_tokens, extra_tokens) "
        f"VALUES ('delete', old.id, old.name_tokens, old.extra_tokens); END",
        f"CREATE TRIGGER IF NOT EXISTS {F}_au AFTER UPDATE ON {T} BEGIN "
        f"INSERT INTO {F}({F}, rowid, name_tokens, extra_tokens) "
        f"VALUES ('delete', old.id, old.name_tokens, old.extra_tokens); "
        f"INSERT INTO {F}(rowid, name_tokens, extra_tokens) VALUES (new.id, new.name_tokens, new.extra_tokens); END",
        f"INSERT INTO {F}({F}) VALUES ('rebuild')",
    ],
    "postgresql": [
        f"ALTER TABLE {T} ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple'::regconfig, name_tokens), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, extra_tokens), 'C')) STORED",
        f"CREATE INDEX IF NOT EXISTS search_text_tsv ON {T} USING gin (tsv)",
    ],
}
REVERSE = {
    "sqlite": [f"DROP TRIGGER IF EXISTS {F}_ai", f"DROP TRIGGER IF EXISTS {F}_ad",
               f"DROP TRIGGER IF EXISTS {F}_au", f"DROP TABLE IF EXISTS {F}"],
    "postgresql": ["DROP INDEX IF EXISTS search_text_tsv", f"ALTER TABLE {T} DROP COLUMN IF EXISTS tsv"],
}


def _run(statements):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(_run(SQL), _run(REVERSE), elidable=False)]
