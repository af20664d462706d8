"""factory_boy factories: volume and unimportant fields. Needs the loaded catalogue."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from procedures.models import Entry, ProcedureType

PASSWORD = "correct-horse-battery"


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
