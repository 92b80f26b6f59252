"""Window ratings are 好差评's now: ``ratings`` 0002 copied them into ``Rating``."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('halls', '0002_seed_event_channels'),
        ('ratings', '0002_seed_policies_and_window_ratings'),
    ]

    operations = [
        migrations.DeleteModel(
            name='WindowRating',
        ),
    ]
