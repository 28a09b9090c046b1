"""Every lab message belongs to the tenant that sent it.

The lab used to keep a copy of a message in each tenant that accepted one of its recipients'
domains, and one in no tenant for the rest: Fabrikam's test of a partner connector to contoso.com
showed in Contoso's mailbox. It now keeps a message only for the tenant whose initial domain sent
it (lab.selectors.tenant_for_sender). This removes the copies kept the old way in another tenant
or in none, then makes the tenant required.
"""

from django.db import migrations, models
from django.db.models import F, Value
from django.db.models.functions import Concat, Lower


def keep_only_the_senders_copies(apps, schema_editor):
    LabMessage = apps.get_model("lab", "LabMessage")
    LabMessage.objects.filter(tenant__isnull=True).delete()
    LabMessage.objects.annotate(
        sender=Lower("mail_from"), own=Concat(Value("@"), Lower("tenant__initial_domain"))
    ).exclude(sender__endswith=F("own")).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("lab", "0003_alter_labmessage_behaviour"),
    ]

    operations = [
        migrations.RunPython(keep_only_the_senders_copies, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="labmessage",
            name="tenant",
            field=models.ForeignKey(
                on_delete=models.deletion.CASCADE,
                related_name="lab_messages",
                to="eac.tenant",
            ),
        ),
    ]
