# The declaration lines' two foreign keys lose the index Django gives each by default: the unique
# (declaration, person) pair already leads with the declaration, and declaration_line_person_idx
# is the same index as the person key's. Each index more is written for every line of a bulk
# file. Only the indexes are dropped (the constraints stay as they are: no table scan to
# validate them again).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contributions", "0011_line_amounts_derived"),
        ("identity", "0003_apikey"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="declarationline",
                    name="declaration",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="lines",
                        to="contributions.declaration",
                    ),
                ),
                migrations.AlterField(
                    model_name="declarationline",
                    name="person",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="identity.person",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "contributions_declarationline_declaration_id_a5faf128"',
                    'CREATE INDEX "contributions_declarationline_declaration_id_a5faf128"'
                    ' ON "contributions_declarationline" ("declaration_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "contributions_declarationline_person_id_1fcf3084"',
                    'CREATE INDEX "contributions_declarationline_person_id_1fcf3084"'
                    ' ON "contributions_declarationline" ("person_id")',
                ),
            ],
        ),
    ]
