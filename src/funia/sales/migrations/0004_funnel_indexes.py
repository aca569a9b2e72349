"""The funnel snapshot's index: a pipeline's live deals by stage and closing time, with the
amount, the stage entry and the creation time (PostgreSQL: read from the index alone)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0003_territories_quotas"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["tenant", "pipeline", "stage", "closed_at"],
                include=("amount_base", "stage_entered_at", "created_at"),
                name="opportunity_live_funnel",
            ),
        ),
    ]
