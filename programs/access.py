"""Who may see which enrollment, and which roles a person holds: the one place it is
decided (relations, not global flags, decide access: DESIGN §2)."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Exists, Min, OuterRef, Q
from django.shortcuts import get_object_or_404

from .models import Enrollment, Program


def visible_enrollments(user):
    """Enrollments `user` may read: their own, the active ones that name them as a
    supervisor, and those in programs they direct. Staff see no more here than anyone
    (admin is for that).

    When an enrollment ends (or a supervisor is taken off it), its supervisors lose the
    trainee: no progress page, no CSV, no DOPS, no queue, no sign-off or return. They keep
    reading the entries they signed off (procedures.models.EntryQuerySet.visible_to): what
    they attested stays theirs to review, and nothing the trainee logs later is."""
    return Enrollment.objects.filter(
        Q(trainee=user) | Q(supervisors=user, active=True) | Q(program__directors=user)
    ).distinct()


def get_enrollment(request, pk: int) -> Enrollment:
    """The enrollment if request.user may read it, else 404 (missing and not-yours look
    alike). Trainee and program joined: one query."""
    return get_object_or_404(
        visible_enrollments(request.user).select_related("trainee", "program"), pk=pk
    )


def directed_trainees(user):
    """Trainee ids of the enrollments in programs `user` directs (a subquery)."""
    return Enrollment.objects.filter(program__directors=user).values("trainee")


def actively_supervised_trainees(user):
    """Trainee ids of the active enrollments that name `user` as a supervisor."""
    return Enrollment.objects.filter(supervisors=user, active=True).values("trainee")


def signoff_password_minutes(supervisor, trainees) -> int:
    """The strictest (smallest) sign-off password window of the programs in which
    `supervisor` signs for any of `trainees` (ids, or a subquery of them): the active
    enrollments naming them. 0, asking every time, when there is none. One query."""
    window = Program.objects.filter(
        enrollments__supervisors=supervisor,
        enrollments__active=True,
        enrollments__trainee__in=trainees,
    ).aggregate(window=Min("signoff_password_minutes"))["window"]
    return 0 if window is None else window


def roles(user) -> dict:
    """{"is_trainee", "is_supervisor", "is_director"} for `user`, in one query."""
    flags = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            is_trainee=Exists(Enrollment.objects.filter(trainee=OuterRef("pk"), active=True)),
            is_supervisor=Exists(
                Enrollment.objects.filter(supervisors=OuterRef("pk"), active=True)
            ),
            is_director=Exists(Program.objects.filter(directors=OuterRef("pk"))),
        )
        .values("is_trainee", "is_supervisor", "is_director")
        .first()
    )
    return flags or {"is_trainee": False, "is_supervisor": False, "is_director": False}


def request_roles(request) -> dict:
    """roles(request.user), asked once per request: the navigation and the views that
    depend on a role share the answer."""
    cached = getattr(request, "_precept_roles", None)
    if cached is None:
        cached = request._precept_roles = roles(request.user)
    return cached


def supervisors_ever(program: Program):
    """The ids of everyone who supervises, or once supervised, an enrollment in `program`
    (a queryset for `__in`): an entry still waiting for a supervisor taken off the roster is
    the program's concern too. Read from the roster and its history, never from entries."""
    now = Enrollment.supervisors.through.objects.filter(enrollment__program=program)
    # django-simple-history's record of the roster (Enrollment.history, m2m_fields).
    past = apps.get_model("programs", "HistoricalEnrollment_supervisors").objects.filter(
        enrollment__program=program
    )
    return (
        get_user_model()
        .objects.filter(Q(pk__in=now.values("user_id")) | Q(pk__in=past.values("user_id")))
        .values("pk")
    )


def block_thresholds(trainee_ids) -> dict[int, int]:
    """{trainee id: their program's diagnostic block threshold} from their active
    enrollments (the first, by id, when there are several); one query. A trainee with no
    active enrollment is missing: callers use BlockThreshold.MEDICARE."""
    thresholds = {}
    for trainee_id, threshold in (
        Enrollment.objects.filter(trainee_id__in=set(trainee_ids), active=True)
        .order_by("-id")
        .values_list("trainee_id", "program__block_threshold")
    ):
        thresholds[trainee_id] = threshold
    return thresholds
