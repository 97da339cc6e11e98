"""The corpus fingerprint: a ``CorpusState`` row and ``ResultCollection.corpus``.

Both operations are reversible: reversing drops the table and the column.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('esper_rekall', '0005_chunk_lease'),
    ]

    operations = [
        migrations.CreateModel(
            name='CorpusState',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('videos', models.BigIntegerField(default=0)),
                ('frames', models.BigIntegerField(default=0)),
                ('labels', models.BigIntegerField(default=0, help_text='face, face identity, shot and commercial rows')),
                ('checksum', models.CharField(help_text="md5 over every video's id, frame count and path", max_length=32)),
                ('updated', models.DateTimeField(auto_now=True)),
            ],
            options={
                'verbose_name': 'corpus state',
            },
        ),
        migrations.AddField(
            model_name='resultcollection',
            name='corpus',
            field=models.JSONField(blank=True, help_text='fingerprint of the corpus the run was created on (CorpusState); null if unknown', null=True),
        ),
    ]
