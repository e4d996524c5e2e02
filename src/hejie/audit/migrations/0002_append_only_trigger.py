"""On PostgreSQL the database itself refuses to change the audit trail: a trigger refuses every
UPDATE and DELETE of a record, and TRUNCATE unless the session set ``hejie.audit_truncate`` to
'allow' (the test suite does, to flush its database). SQLite has no such trigger: the model and
its queryset refuse instead (``hejie.audit.models``)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION hejie_audit_refuse() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND coalesce(current_setting('hejie.audit_truncate', true), '') = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_record_no_change BEFORE UPDATE OR DELETE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION hejie_audit_refuse();
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_auditrecord
    FOR EACH STATEMENT EXECUTE FUNCTION hejie_audit_refuse();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_record_no_truncate ON audit_auditrecord;
DROP TRIGGER IF EXISTS audit_record_no_change ON audit_auditrecord;
DROP FUNCTION IF EXISTS hejie_audit_refuse();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)  # no parameters: the % in the message is not a placeholder


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
