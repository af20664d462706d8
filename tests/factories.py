"""factory_boy factories: volume and unimportant fields. Needs the loaded catalogue."""

import time
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from procedures.models import Entry, ProcedureType
from procedures.reauth import SESSION_KEY

PASSWORD = "correct-horse-battery"


def password_just_typed(client, ago_seconds: float = 0) -> None:
    """Mark `client`'s session (after force_login) as if its user typed their password to
    sign `ago_seconds` ago, as procedures.reauth records it: the next sign-offs within the
    program's window need none. For tests about something else than that password."""
    session = client.session
    session[SESSION_KEY] = time.time() - ago_seconds
    session.save()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.django.Password(PASSWORD)


class EntryFactory(factory.django.DjangoModelFactory):
    """A valid lumbar transforaminal epidural under fluoroscopy, as a draft."""

    class Meta:
        model = Entry

    trainee = factory.SubFactory(UserFactory)
    procedure = factory.LazyFunction(lambda: ProcedureType.objects.get(slug="lumbar-tfesi"))
    performed_on = factory.LazyFunction(timezone.localdate)
    guidance = "fluoroscopy"
    side = "right"
    levels = "L4–L5"
    purpose = Entry.Purpose.THERAPEUTIC
    role = Entry.Role.PERFORMED_PRESENT
    fluoro_time_s = Decimal("32.5")
    dap = Decimal("410.00")
    status = Entry.Status.DRAFT


def waiting_entries(trainee, supervisor, count: int, days_ago: float = 1) -> list[Entry]:
    """`count` entries of `trainee` submitted to `supervisor` `days_ago` days ago, in bulk."""
    submitted_at = timezone.now() - timedelta(days=days_ago)
    return Entry.objects.bulk_create(
        [
            EntryFactory.build(
                trainee=trainee,
                supervisor=supervisor,
                status=Entry.Status.SUBMITTED,
                submitted_at=submitted_at,
            )
            for _ in range(count)
        ]
    )


def entry_post(supervisor, procedure: str = "lumbar-tfesi", **fields) -> dict:
    """The entry form's POST for a valid lumbar case under fluoroscopy saved as a draft,
    with `fields` overriding (values as the form sends them: strings)."""
    data = {
        "performed_on": timezone.localdate().isoformat(),
        "procedure": ProcedureType.objects.get(slug=procedure).pk,
        "guidance": "fluoroscopy",
        "side": "right",
        "levels": "L4-5",
        "purpose": "therapeutic",
        "role": "3",
        "supervisor": supervisor.pk,
        "complication": "none",
        "action": "draft",
    }
    return {**data, **{k: str(v) for k, v in fields.items()}}
