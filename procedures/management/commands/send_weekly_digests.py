"""Send each trainee who has drafts or returned entries, and has not opted out, one
e-mail a week listing them (procedures.digests).

Run once a week from cron (README, Deploying); a second run in the same Monday-to-Sunday
week sends nothing more (the date sent is recorded with the e-mail queued). Trainees with
neither drafts nor returned entries get nothing. Those without a usable address are
listed on stderr and tried again the next run. `--dry-run` lists and sends nothing.
"""

from procedures.digests import weekly_digests, weekly_mail
from procedures.management.digest_command import DigestCommand


class Command(DigestCommand):
    help = "E-mail trainees a weekly digest of their drafts and returned entries."
    kind = "Weekly"
    sent_field = "weekly_digest_sent_on"

    select = staticmethod(weekly_digests)
    compose = staticmethod(weekly_mail)

    def describe(self, digest) -> str:
        return ", ".join(f"{n} {kind}" for kind, n in sorted(digest.totals.items()))
