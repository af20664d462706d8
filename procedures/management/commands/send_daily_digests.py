"""Send each supervisor who chose the daily digest one e-mail listing the entries waiting
for their sign-off, oldest first (procedures.digests).

Run once a day from cron (README, Deploying). Supervisors with nothing waiting get
nothing; a second run the same day sends nothing more (the date sent is recorded with the
e-mail queued). Supervisors who chose the digest get no e-mail per submission. Those
without a usable address are listed on stderr and tried again the next run. `--dry-run`
lists and sends nothing.
"""

from procedures.digests import daily_digests, daily_mail
from procedures.management.digest_command import DigestCommand
from procedures.models import Entry


class Command(DigestCommand):
    help = "E-mail supervisors who chose the daily digest the entries waiting for them."
    kind = "Daily"
    sent_field = "daily_digest_sent_on"

    select = staticmethod(daily_digests)
    compose = staticmethod(daily_mail)

    def describe(self, digest) -> str:
        return f"{digest.totals[Entry.Status.SUBMITTED]} waiting"
