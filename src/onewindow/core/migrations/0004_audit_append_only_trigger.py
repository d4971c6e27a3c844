"""On PostgreSQL the database itself keeps the audit trail append-only (issue #9 point 8).

Rule (网络安全法 art. 21(3); GB/T 22239-2019 等保2.0 三级 安全审计: audit records are protected
against unexpected deletion, modification or overwriting): a row trigger refuses DELETE and every
UPDATE of ``core_auditentry`` except the sealing step of ``core.audit.audit_seal_pending``, which
sets the chain columns (``seq``, ``prev_hash``, ``hash`` and, once it exists, ``hash_alg``) once:
``seq`` NULL → a value and ``hash`` empty → a value, with every other column unchanged (compared
as JSON, so a column added later is protected without changing this trigger). Checkpoints are
insert-only. TRUNCATE is left to the table owner (the test runner flushes tables with it); the
application's database role should not own the tables (docs/operations.md).

SQLite has no such trigger here: the model and its queryset refuse the same operations.
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION onewindow_audit_entry_append_only() RETURNS trigger AS $$
DECLARE
    chain_columns text[] := ARRAY['seq', 'prev_hash', 'hash', 'hash_alg'];
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND OLD.hash = '' AND NEW.hash <> ''
       AND OLD.prev_hash = ''
       AND COALESCE(to_jsonb(OLD) ->> 'hash_alg', '') = ''
       AND (to_jsonb(OLD) - chain_columns) = (to_jsonb(NEW) - chain_columns) THEN
        RETURN NEW;  -- the seal: chain columns set once, nothing else changed
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % of entry % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION onewindow_audit_checkpoint_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit checkpoints are append-only: % of checkpoint % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION onewindow_audit_entry_append_only();
CREATE TRIGGER core_auditcheckpoint_append_only BEFORE UPDATE OR DELETE ON core_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION onewindow_audit_checkpoint_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP TRIGGER IF EXISTS core_auditcheckpoint_append_only ON core_auditcheckpoint;
DROP FUNCTION IF EXISTS onewindow_audit_entry_append_only();
DROP FUNCTION IF EXISTS onewindow_audit_checkpoint_append_only();
"""


def create_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)


def drop_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_shared_cache_table")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
