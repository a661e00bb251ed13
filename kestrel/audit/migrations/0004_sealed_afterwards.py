"""Rows sealed afterwards (issue 19): each row carries its own MAC and is linked into its chain
by the worker's sealer, so `seq` is empty until then; the triggers allow that one update, and
the chain's turn reads the tail among sealed rows only."""

from django.conf import settings
from django.db import migrations, models

TURN = """
CREATE OR REPLACE FUNCTION kestrel_audit_turn(
    lock_namespace integer, chain_id bigint, OUT last_seq bigint, OUT last_hash text
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_namespace, chain_id::integer);
    -- A VOLATILE function's statements each take a new snapshot: this one sees the rows that
    -- the lock's previous holder sealed. Unsealed rows have no place in the chain yet.
    SELECT event.seq, event.row_hash INTO last_seq, last_hash
    FROM audit_auditevent AS event
    WHERE event.chain = chain_id AND event.seq IS NOT NULL
    ORDER BY event.seq DESC
    LIMIT 1;
END
$$;
"""


def turn_among_sealed_rows(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TURN)


def install_triggers(apps, schema_editor):
    """The triggers that allow sealing (and, on SQLite, put back those the table's rebuild for
    the nullable `seq` took with it)."""
    from kestrel.audit import triggers

    triggers.install(schema_editor.connection)


def install_triggers_without_sealing(apps, schema_editor):
    from kestrel.audit import triggers

    triggers.install(schema_editor.connection, sealing=False)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_chain_turn_function'),
        ('schools', '0003_escalation_school_days'),
        ('students', '0003_fold_unsplit_letters'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='mac',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='nonce',
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.BigIntegerField(blank=True, default=None, null=True),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('seq__isnull', True)), fields=['chain', 'id'], name='auditevent_unsealed'),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(condition=models.Q(('mac', ''), _negated=True), fields=('mac',), name='auditevent_unique_mac'),
        ),
        migrations.RunPython(turn_among_sealed_rows, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, install_triggers_without_sealing),
    ]
