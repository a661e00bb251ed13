"""On PostgreSQL, a writer's turn at its school's audit chain in one statement (see
kestrel.audit.chain.turn): the lock, then the chain's last row, read after the lock."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION kestrel_audit_turn(
    lock_namespace integer, chain_id bigint, OUT last_seq bigint, OUT last_hash text
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_namespace, chain_id::integer);
    -- A VOLATILE function's statements each take a new snapshot: this one sees the row that
    -- the lock's previous holder committed.
    SELECT event.seq, event.row_hash INTO last_seq, last_hash
    FROM audit_auditevent AS event
    WHERE event.chain = chain_id
    ORDER BY event.seq DESC
    LIMIT 1;
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS kestrel_audit_turn(integer, bigint);"


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_hash_chain")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
