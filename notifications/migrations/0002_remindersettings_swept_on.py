from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="remindersettings",
            name="swept_on",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text="The day the scheduled sweep last took this province (once a day, at its hour).",
                null=True,
                verbose_name="last day swept",
            ),
        ),
    ]
