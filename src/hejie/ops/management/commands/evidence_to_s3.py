from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError

from hejie.core.storage import is_bucket, storage_check
from hejie.ops.evidence_move import evidence_to_bucket


class Command(BaseCommand):
    help = ("Copy the evidence, draft and appeal files kept on local disk (MEDIA_ROOT) to the bucket that "
            "HEJIE_S3_BUCKET names, checking each against its SHA-256. Run it again at any time: what is "
            "already in the bucket is not copied twice, and a stopped run is finished.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be copied; write nothing")
        parser.add_argument("--source", help="the local folder the files are in (default: MEDIA_ROOT)")
        parser.add_argument("--delete-local", action="store_true",
                            help="delete each local file once its copy in the bucket has been checked")

    def handle(self, *args, **options):
        if not is_bucket(default_storage):
            raise CommandError("HEJIE_S3_BUCKET is not set: the files are kept on local disk, there is no bucket "
                               "to copy them to (see README, Object storage)")
        source = Path(options["source"] or settings.MEDIA_ROOT)
        if not source.is_dir():
            raise CommandError(f"no such folder: {source}")
        try:
            storage_check(default_storage)
        except Exception as exc:  # any failure to reach the bucket is reported as such
            raise CommandError(f"the bucket {default_storage.bucket_name!r} cannot be reached: {exc}") from None
        dry_run = options["dry_run"]
        report = evidence_to_bucket(source=FileSystemStorage(location=source), target=default_storage,
                                    dry_run=dry_run, delete_local=options["delete_local"] and not dry_run,
                                    progress=self.stdout.write)
        problems = []
        for label, counts in report.items():
            self.stdout.write(counts.line(label, dry_run=dry_run))
            problems += counts.problems
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} file(s) could not be moved (listed above); the rest are in the "
                               "bucket. Run the command again after fixing them.")
        if dry_run:
            self.stdout.write("dry run: nothing was written")
