"""Permission matrix: every URL of the project × every kind of user × GET and POST.

The URLs come from the resolver, not from a list kept by hand: a URL with no row in TABLE
fails, so a new view cannot be added without saying who may do what with it.

The rules (DESIGN §5 Access; STYLE §5, §10, §12):
- everything needs a login: an anonymous visitor is sent to the sign-in page (the sign-in
  page, the favicon and the health check are public);
- what a user may not see answers 404, never revealing that it exists;
- what a user may see but not act on answers 403;
- state changes are POST only: a GET on a POST-only URL answers 405;
- a successful POST redirects (302) or re-renders the form with its errors (200);
- a request that should change nothing leaves the database as it was (entries, their
  history, signatures, events, assessments, enrollments, users).
Django admin URLs share one rule, as the admin decides by `is_staff` alone: staff get what
the admin answers (a page, or a redirect), everyone else is sent to sign in.

Where the app disagrees with the rules the case keeps the rule's answer and is marked
xfail(strict=True, reason="BUG: ..."): fixing the app turns it into a failure to clean up.
"""

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.templatetags.static import static
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from curriculum.decisions import record_decision
from curriculum.models import Competency, EntrustmentDecision, ObservedAssessment
from procedures.models import Entry, EntryEvent, ProcedureType, Signature, SignatureCheck
from programs.models import DoseAlert, DoseReading, Enrollment, Program
from tests.factories import PASSWORD, EntryFactory, UserFactory

USERS = ["anonymous", "alice", "charlie", "bob", "dave", "diana", "other_director", "admin"]
SIGNED_IN = USERS[1:]
METHODS = ["GET", "POST"]


# --- the URLs, from the resolver ---------------------------------------------------------------


@dataclass(frozen=True)
class Url:
    route: str  # as ResolverMatch.route spells it, e.g. "entries/<int:pk>/edit/"
    key: str  # the namespaced name, or the route itself for an unnamed pattern
    admin: bool  # under the "admin" namespace
    regex: bool  # a re_path(): its parameters are filled by hand


def _join(prefix: str, pattern) -> str:
    """Join routes as Django's resolver does for ResolverMatch.route (no leading "^")."""
    route = str(pattern)
    return prefix + (route[1:] if route.startswith("^") else route)


def all_urls(resolver=None, prefix: str = "", namespaces: tuple = ()) -> list[Url]:
    """Every URL pattern of the project, walking included URLconfs recursively."""
    urls = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            urls += all_urls(pattern, _join(prefix, pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = _join(prefix, pattern.pattern)
            urls.append(
                Url(
                    route=route,
                    key=":".join((*namespaces, pattern.name)) if pattern.name else route,
                    admin=namespaces[:1] == ("admin",),
                    regex=not isinstance(pattern.pattern, RoutePattern),
                )
            )
        else:  # pragma: no cover - a new kind of pattern needs thought here
            raise TypeError(f"Unknown URL pattern {pattern!r}")
    return urls


URLS = all_urls()


# --- what each request should get ----------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """The answer a request should get.

    `to` says where a redirect goes: "@sign-in" and "@admin-sign-in" (with ?next= this
    URL), "@object" (the entry's page), "@favicon", a callable of the World, or a URL name.
    """

    status: int | tuple[int, ...]
    to: str | Callable | None = None
    changes: bool = False  # a successful write: the database must change
    bug: str = ""  # the app answers otherwise: xfail(strict=True) with this reason


def redirect(to, *, changes: bool = False) -> Expect:
    return Expect(302, to, changes)


OK = Expect(200)
FORBIDDEN = Expect(403)
NOT_FOUND = Expect(404)
NOT_ALLOWED = Expect(405)
SIGN_IN = redirect("@sign-in")
ADMIN_SIGN_IN = redirect("@admin-sign-in")

# Staff see no more of the logbook than anyone (relations decide access, DESIGN §2); a
# trainee or director may read an enrollment but not assess it (403).
STAFF_NOT_RELATED = Expect(404)
READER_MAY_NOT_ASSESS = Expect(403)


def signed_in(default: Expect, **users: Expect) -> dict[str, Expect]:
    """Anonymous → the sign-in page; each signed-in kind of user → `default` unless named."""
    assert set(users) <= set(SIGNED_IN), set(users) - set(SIGNED_IN)
    return {"anonymous": SIGN_IN, **{user: users.get(user, default) for user in SIGNED_IN}}


def public(default: Expect, **users: Expect) -> dict[str, Expect]:
    return {user: users.get(user, default) for user in USERS}


@dataclass(frozen=True)
class Rule:
    get: dict[str, Expect]
    post: dict[str, Expect]
    obj: str = ""  # what <pk> names: "draft"/"submitted"/"returned" entry of alice's, "enrollment"
    data: Callable | None = None  # (world, obj) -> the POST body; empty without it


def edit_body(world, entry) -> dict:
    """A valid Save draft of the entry form that changes the notes and the levels."""
    return {
        "performed_on": entry.performed_on.isoformat(),
        "procedure": entry.procedure_id,
        "guidance": entry.guidance,
        "side": entry.side,
        "levels": "L5-S1",
        "purpose": entry.purpose,
        "role": entry.role,
        "supervisor": entry.supervisor_id,
        "fluoro_time_s": entry.fluoro_time_s,
        "dap": entry.dap,
        "complication": entry.complication,
        "notes": "Changed by someone.",
        "action": "draft",
    }


def dops_body(world, enrollment) -> dict:
    return {
        "observed_on": timezone.localdate().isoformat(),
        "procedure": ProcedureType.objects.get(slug="lumbar-mbb").pk,
        "guidance": "fluoroscopy",
        "rating": "4",
        "comments": "Good views.",
    }


def dose_body(world, obj=None) -> dict:
    return {
        "period_start": (timezone.localdate() - timedelta(days=30)).isoformat(),
        "period_end": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "whole_body": "0.2",
    }


def decision_body(world, obj=None) -> dict:
    return {
        "level": "2",
        "decided_on": timezone.localdate().isoformat(),
        "rationale": "Ten cases from two supervisors.",
        "password": PASSWORD,
        "form_key": str(uuid.uuid4()),
    }


def committee_of_alice(world) -> str:
    return f"{reverse('curriculum:committee')}?program={world.enrollment.program_id}"


def own_dosimetry(world) -> str:
    return reverse("curriculum:my_radiation") + "#dosimetry"


def alices_dosimetry(world) -> str:
    return reverse("curriculum:trainee_radiation", args=[world.enrollment.pk]) + "#dosimetry"


def alices_progress(world) -> str:
    return reverse("curriculum:trainee_progress", args=[world.enrollment.pk])


TO_QUEUE = redirect("procedures:signoff_queue")
# Home shows every signed-in user what to do next from their own things (a section per
# role: tests/curriculum/test_home.py); it changes nothing, so POST is not allowed.
HOME = Rule(get=signed_in(OK), post=signed_in(NOT_ALLOWED))
# A page for every signed-in user, showing only their own things (GET and POST alike).
OWN_PAGE = Rule(get=signed_in(OK), post=signed_in(OK))
# The Logbook and the entry form: only trainees (an active enrollment as trainee) have
# them (issue 10 point 6). A supervisor or director who opens one is taken to their own
# start page; a POST is refused; someone with no role at all (admin here) sees why.
TO_HOME = redirect("home")
TRAINEES_ONLY = Rule(
    get=signed_in(TO_HOME, alice=OK, charlie=OK, admin=OK),
    post=signed_in(FORBIDDEN, alice=OK, charlie=OK),
)
# A page about alice's enrollment: hers, her supervisor's and her program director's.
ALICES_ENROLLMENT = signed_in(NOT_FOUND, alice=OK, bob=OK, diana=OK)


TABLE: dict[str, Rule | tuple[Rule, ...]] = {
    "home": HOME,
    "about": Rule(get=signed_in(OK), post=signed_in(NOT_ALLOWED)),
    "login": Rule(
        get=public(redirect("home"), anonymous=OK),
        post=public(redirect("home"), anonymous=OK),  # an empty form: its errors
    ),
    # Only the signed-in user's own preferences; an empty POST: the form with its errors.
    "email_settings": OWN_PAGE,
    "logout": Rule(get=signed_in(NOT_ALLOWED), post=signed_in(redirect("login"))),
    "favicon.ico": Rule(get=public(Expect(301, "@favicon")), post=public(Expect(301, "@favicon"))),
    # For load balancers: public, GET and HEAD only (config.health).
    "healthz": Rule(get=public(OK), post=public(NOT_ALLOWED)),
    # The offline worker (config.offline): a static script, the same for everyone.
    "service_worker": Rule(get=public(OK), post=public(NOT_ALLOWED)),
    # --- procedures ---
    "procedures:entry_list": TRAINEES_ONLY,
    "procedures:entry_create": TRAINEES_ONLY,  # an empty POST: the form with its errors
    "procedures:entry_detail": (
        Rule(
            obj="draft",  # drafts stay private to their trainee
            get=signed_in(NOT_FOUND, alice=OK, admin=STAFF_NOT_RELATED),
            post=signed_in(NOT_FOUND, alice=OK, admin=STAFF_NOT_RELATED),
        ),
        Rule(
            obj="submitted",
            get=signed_in(NOT_FOUND, alice=OK, bob=OK, diana=OK, admin=STAFF_NOT_RELATED),
            post=signed_in(NOT_FOUND, alice=OK, bob=OK, diana=OK, admin=STAFF_NOT_RELATED),
        ),
    ),
    "procedures:entry_edit": (
        Rule(
            obj="draft",
            data=edit_body,
            get=signed_in(NOT_FOUND, alice=OK, admin=STAFF_NOT_RELATED),
            post=signed_in(
                NOT_FOUND, alice=redirect("@object", changes=True), admin=STAFF_NOT_RELATED
            ),
        ),
        Rule(
            obj="returned",
            data=edit_body,
            get=signed_in(
                NOT_FOUND, alice=OK, bob=FORBIDDEN, diana=FORBIDDEN, admin=STAFF_NOT_RELATED
            ),
            post=signed_in(
                NOT_FOUND,
                alice=redirect("@object", changes=True),
                bob=FORBIDDEN,
                diana=FORBIDDEN,
                admin=STAFF_NOT_RELATED,
            ),
        ),
    ),
    "procedures:entry_submit": (
        Rule(
            obj="draft",
            get=signed_in(NOT_ALLOWED),
            post=signed_in(
                NOT_FOUND, alice=redirect("@object", changes=True), admin=STAFF_NOT_RELATED
            ),
        ),
        Rule(
            obj="returned",
            get=signed_in(NOT_ALLOWED),
            post=signed_in(
                NOT_FOUND,
                alice=redirect("@object", changes=True),
                bob=FORBIDDEN,
                diana=FORBIDDEN,
                admin=STAFF_NOT_RELATED,
            ),
        ),
    ),
    "procedures:entry_delete": (  # GET asks for confirmation
        Rule(
            obj="draft",
            get=signed_in(NOT_FOUND, alice=OK, admin=STAFF_NOT_RELATED),
            post=signed_in(
                NOT_FOUND,
                alice=redirect("procedures:entry_list", changes=True),
                admin=STAFF_NOT_RELATED,
            ),
        ),
        Rule(
            obj="returned",
            get=signed_in(
                NOT_FOUND, alice=OK, bob=FORBIDDEN, diana=FORBIDDEN, admin=STAFF_NOT_RELATED
            ),
            post=signed_in(
                NOT_FOUND,
                alice=redirect("procedures:entry_list", changes=True),
                bob=FORBIDDEN,
                diana=FORBIDDEN,
                admin=STAFF_NOT_RELATED,
            ),
        ),
    ),
    # A diagnostic block's response (issue 11): its trainee records it in any status (the
    # diary comes in after sign-off too); readers may not (403); an entry that is not a
    # diagnostic block has none to record, not even for its trainee.
    "procedures:entry_block": (
        Rule(
            obj="block",
            data=lambda world, entry: {"scale": "nrs", "before": "7", "at_30": "1"},
            get=signed_in(
                NOT_FOUND, alice=OK, bob=FORBIDDEN, diana=FORBIDDEN, admin=STAFF_NOT_RELATED
            ),
            post=signed_in(
                NOT_FOUND,
                alice=redirect("@object", changes=True),
                bob=FORBIDDEN,
                diana=FORBIDDEN,
                admin=STAFF_NOT_RELATED,
            ),
        ),
        Rule(
            obj="submitted",
            data=lambda world, entry: {"scale": "nrs", "before": "7", "at_30": "1"},
            get=signed_in(
                NOT_FOUND, alice=FORBIDDEN, bob=FORBIDDEN, diana=FORBIDDEN, admin=STAFF_NOT_RELATED
            ),
            post=signed_in(
                NOT_FOUND, alice=FORBIDDEN, bob=FORBIDDEN, diana=FORBIDDEN, admin=STAFF_NOT_RELATED
            ),
        ),
    ),
    "procedures:entry_sign_off": Rule(
        obj="submitted",
        # Signing needs the signer's own password (procedures.reauth); each user types theirs.
        data=lambda world, entry: {"autonomy": "4", "password": PASSWORD},
        get=signed_in(NOT_ALLOWED),
        post=signed_in(
            NOT_FOUND,
            alice=FORBIDDEN,
            bob=redirect("procedures:signoff_queue", changes=True),
            diana=FORBIDDEN,
            admin=STAFF_NOT_RELATED,
        ),
    ),
    "procedures:entry_return": Rule(
        obj="submitted",
        data=lambda world, entry: {"comment": "Add the levels."},
        get=signed_in(NOT_ALLOWED),
        post=signed_in(
            NOT_FOUND,
            alice=FORBIDDEN,
            bob=redirect("procedures:signoff_queue", changes=True),
            diana=FORBIDDEN,
            admin=STAFF_NOT_RELATED,
        ),
    ),
    # Everyone has a queue (relations, not roles): empty unless entries wait for them.
    "procedures:signoff_queue": OWN_PAGE,
    # Entries not submitted to the user are skipped with a reason: back to the queue.
    "procedures:signoff_bulk": Rule(
        obj="submitted",
        data=lambda world, entry: {
            "entries": [str(entry.pk)],
            "autonomy": "4",
            "password": PASSWORD,
        },
        get=signed_in(NOT_ALLOWED),
        post=signed_in(TO_QUEUE, bob=redirect("procedures:signoff_queue", changes=True)),
    ),
    # --- curriculum ---
    "curriculum:my_progress": OWN_PAGE,
    "curriculum:my_portfolio": OWN_PAGE,
    "curriculum:my_logbook_csv": OWN_PAGE,
    "curriculum:my_trainees": OWN_PAGE,
    "curriculum:trainee_progress": Rule(
        obj="enrollment", get=ALICES_ENROLLMENT, post=ALICES_ENROLLMENT
    ),
    "curriculum:trainee_portfolio": Rule(
        obj="enrollment", get=ALICES_ENROLLMENT, post=ALICES_ENROLLMENT
    ),
    "curriculum:trainee_logbook_csv": Rule(
        obj="enrollment", get=ALICES_ENROLLMENT, post=ALICES_ENROLLMENT
    ),
    # Radiation (issue 12): the trainee's own, and hers for those who read her Progress.
    "curriculum:my_radiation": OWN_PAGE,
    "curriculum:trainee_radiation": Rule(
        obj="enrollment", get=ALICES_ENROLLMENT, post=ALICES_ENROLLMENT
    ),
    # A dosimeter reading: every trainee records their own (someone not enrolled is told
    # why); one of alice's is recorded by her or her program's director, and her supervisor,
    # who reads her Radiation page, may not (403).
    "curriculum:my_dose_reading": Rule(
        data=dose_body,
        get=signed_in(OK),
        post=signed_in(
            OK,
            alice=redirect(own_dosimetry, changes=True),
            charlie=redirect(own_dosimetry, changes=True),
        ),
    ),
    "curriculum:trainee_dose_reading": Rule(
        obj="enrollment",
        data=dose_body,
        get=signed_in(NOT_FOUND, alice=OK, bob=READER_MAY_NOT_ASSESS, diana=OK),
        post=signed_in(
            NOT_FOUND,
            alice=redirect(own_dosimetry, changes=True),
            bob=READER_MAY_NOT_ASSESS,
            diana=redirect(alices_dosimetry, changes=True),
        ),
    ),
    # Her DOPS as CSV: scoped as her portfolio is.
    "curriculum:my_dops_csv": OWN_PAGE,
    "curriculum:trainee_dops_csv": Rule(
        obj="enrollment", get=ALICES_ENROLLMENT, post=ALICES_ENROLLMENT
    ),
    "curriculum:assessment_create": Rule(
        obj="enrollment",
        data=dops_body,
        get=signed_in(NOT_FOUND, alice=READER_MAY_NOT_ASSESS, bob=OK, diana=READER_MAY_NOT_ASSESS),
        post=signed_in(
            NOT_FOUND,
            alice=READER_MAY_NOT_ASSESS,
            bob=redirect(alices_progress, changes=True),
            diana=READER_MAY_NOT_ASSESS,
        ),
    ),
    # Only directors have a cohort; someone who directs nothing finds none.
    "curriculum:cohort": Rule(
        get=signed_in(NOT_FOUND, diana=OK, other_director=OK),
        post=signed_in(NOT_FOUND, diana=OK, other_director=OK),
    ),
    # The Cohort as CSV: the same scope, so the same rule.
    "curriculum:cohort_csv": Rule(
        get=signed_in(NOT_FOUND, diana=OK, other_director=OK),
        post=signed_in(NOT_FOUND, diana=OK, other_director=OK),
    ),
    # The committee view and the calibration of ratings (issue 13): the Cohort's scope;
    # they change nothing, so POST is not allowed.
    "curriculum:committee": Rule(
        get=signed_in(NOT_FOUND, diana=OK, other_director=OK), post=signed_in(NOT_ALLOWED)
    ),
    "curriculum:calibration": Rule(
        get=signed_in(NOT_FOUND, diana=OK, other_director=OK), post=signed_in(NOT_ALLOWED)
    ),
    # An entrustment decision on alice: only her program's director records one; alice
    # and bob, who read her Progress, may not (403); for everyone else she is not there.
    "curriculum:decision": Rule(
        obj="enrollment",
        data=decision_body,
        get=signed_in(NOT_FOUND, alice=FORBIDDEN, bob=FORBIDDEN, diana=OK),
        post=signed_in(
            NOT_FOUND,
            alice=FORBIDDEN,
            bob=FORBIDDEN,
            diana=redirect(committee_of_alice, changes=True),
        ),
    ),
}


# Django admin decides by `is_staff` alone, so one rule covers it. Every admin URL is tried
# by an anonymous visitor, by alice (standing for any signed-in user who is not staff) and
# by staff; the index and the sign-in and sign-out pages by every kind of user.
ADMIN_EVERY_KIND = ("admin:index", "admin:login", "admin:logout")
ADMIN_STAND_INS = ("anonymous", "alice", "admin")
# A model's admin pages (ModelAdmin.get_urls) carry no login_url of their own, so Django's
# LoginRequiredMiddleware sends an anonymous visitor to the site's sign-in page (LOGIN_URL)
# rather than the admin's; the admin site's own pages send them to the admin's.
MODEL_ADMIN_PREFIXES = tuple(
    f"admin/{model._meta.app_label}/{model._meta.model_name}/"
    for model in django_admin.site._registry
)
# What Django admin answers staff where it is not a page (GET) or a form or redirect (POST).
STAFF_ADMIN_ANSWERS = {
    ("admin:login", "GET"): redirect("admin:index"),  # already signed in
    ("admin:logout", "GET"): NOT_ALLOWED,  # signing out is POST only
    ("admin:password_change_done", "POST"): NOT_ALLOWED,
    ("admin:jsi18n", "POST"): NOT_ALLOWED,
    ("admin:autocomplete", "GET"): FORBIDDEN,  # without the field it completes
    ("admin:autocomplete", "POST"): NOT_ALLOWED,
    ("admin/(?P<url>.*)$", "GET"): NOT_FOUND,  # the catch-all, for a page that isn't
    ("admin/(?P<url>.*)$", "POST"): NOT_FOUND,
}
for _model in ("accessattempt", "accesslog", "accessfailurelog"):
    # django-axes' logs are read-only in the admin: no add page.
    for _method in METHODS:
        STAFF_ADMIN_ANSWERS[f"admin:axes_{_model}_add", _method] = FORBIDDEN
for _method in METHODS:
    # Entries are logged by their trainees, never added in the admin (one door).
    STAFF_ADMIN_ANSWERS["admin:procedures_entry_add", _method] = FORBIDDEN
    # Signature findings are made by the checks, and kept: only marked resolved.
    STAFF_ADMIN_ANSWERS["admin:procedures_signaturecheck_add", _method] = FORBIDDEN
    STAFF_ADMIN_ANSWERS["admin:procedures_signaturecheck_delete", _method] = FORBIDDEN
    # Queued tasks (email) are django-tasks-db's record of the worker's work: read-only.
    for _page in ("add", "delete"):
        STAFF_ADMIN_ANSWERS[f"admin:django_tasks_database_dbtaskresult_{_page}", _method] = (
            FORBIDDEN
        )
STAFF_ADMIN_ANSWERS["admin:django_tasks_database_dbtaskresult_change", "POST"] = FORBIDDEN
# Dosimeter readings and their alerts are written by their one door (curriculum.dosimetry),
# which raises the alerts and mails the directors: the admin only reads them.
for _model in ("dosereading", "dosealert"):
    for _method in METHODS:
        for _page in ("add", "delete"):
            STAFF_ADMIN_ANSWERS[f"admin:programs_{_model}_{_page}", _method] = FORBIDDEN
    STAFF_ADMIN_ANSWERS[f"admin:programs_{_model}_change", "POST"] = FORBIDDEN


# Entrustment decisions are signed records, written by the director's form
# (curriculum.decisions) and never changed: the admin only reads them.
for _method in METHODS:
    for _page in ("add", "delete"):
        STAFF_ADMIN_ANSWERS[f"admin:curriculum_entrustmentdecision_{_page}", _method] = FORBIDDEN
STAFF_ADMIN_ANSWERS["admin:curriculum_entrustmentdecision_change", "POST"] = FORBIDDEN


def admin_users(url: Url) -> tuple[str, ...]:
    return tuple(USERS) if url.key in ADMIN_EVERY_KIND else ADMIN_STAND_INS


def admin_expect(url: Url, user: str, method: str) -> Expect:
    """Staff get what the admin answers; the others are sent to sign in."""
    if url.key == "admin:login" and user != "admin":  # the admin's sign-in page is public
        return OK
    if user == "anonymous":
        return SIGN_IN if url.route.startswith(MODEL_ADMIN_PREFIXES) else ADMIN_SIGN_IN
    if user != "admin":
        if url.key == "admin:logout":  # to the admin's index, which sends them to sign in
            return redirect("admin:index")
        return ADMIN_SIGN_IN
    if (url.key, method) in STAFF_ADMIN_ANSWERS:
        return STAFF_ADMIN_ANSWERS[url.key, method]
    if url.route.endswith("<path:object_id>/"):  # an object's short address: to its page
        return Expect(302)
    # A page, with real ids: a missing object would be a redirect to the index. A POST
    # with an empty body is a form with its errors, or a redirect (sign out, actions).
    return OK if method == "GET" else Expect((200, 302))


# --- the cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    url: Url
    user: str
    method: str
    expect: Expect | None  # None: the URL has no row in TABLE
    obj: str = ""
    data: Callable | None = field(default=None, compare=False)


def _rules(url: Url) -> tuple[Rule, ...]:
    rules = TABLE.get(url.key, ())
    return rules if isinstance(rules, tuple) else (rules,)


def _cases() -> list:
    params = []
    for url in URLS:
        if url.admin:
            for user in admin_users(url):
                for method in METHODS:
                    case = Case(url, user, method, admin_expect(url, user, method))
                    params.append(pytest.param(case, id=f"{url.key}-{user}-{method}"))
            continue
        rules = _rules(url)
        if not rules:
            params.append(pytest.param(Case(url, "", "", None), id=f"{url.key}-NO-RULE"))
        for rule in rules:
            variant = f"[{rule.obj}]" if len(rules) > 1 else ""
            for user in USERS:
                for method in METHODS:
                    expect = (rule.get if method == "GET" else rule.post)[user]
                    case = Case(url, user, method, expect, rule.obj, rule.data)
                    marks = (
                        [pytest.mark.xfail(strict=True, reason=expect.bug)] if expect.bug else []
                    )
                    params.append(
                        pytest.param(case, id=f"{url.key}{variant}-{user}-{method}", marks=marks)
                    )
    return params


CASES = _cases()


# --- the world each case runs in ---------------------------------------------------------------


class World:
    """The people and objects of one case, made for it.

    alice is a trainee supervised by bob; charlie another trainee, supervised by dave;
    diana directs alice's program; other_director directs another program; admin is staff.
    The objects are alice's, so alice and bob are always there; the acting user comes with
    what makes them what they are (dave supervises charlie). The others are left out: the
    cases run faster, and no rule depends on them.
    """

    def __init__(self, request, actor: str):
        kinds = {"alice", "bob", actor} | ({"charlie", "dave"} if actor == "dave" else set())
        self.users = {
            kind: request.getfixturevalue(kind)
            for kind in USERS
            if kind in kinds and kind not in ("anonymous", "other_director")
        }
        if actor == "other_director":
            other = Program.objects.create(slug="other-program", name="Other program")
            self.users[actor] = UserFactory(username="erin", first_name="Erin")
            other.directors.add(self.users[actor])
        self.enrollment = Enrollment.objects.get(trainee=self.users["alice"])

    def entry(self, status: str) -> Entry:
        alice, bob = self.users["alice"], self.users["bob"]
        if status == "draft":
            return EntryFactory(trainee=alice, supervisor=bob)
        if status == "block":  # a diagnostic block, submitted
            return EntryFactory(
                trainee=alice,
                supervisor=bob,
                procedure=ProcedureType.objects.get(slug="lumbar-mbb"),
                levels="L4, L5",
                purpose=Entry.Purpose.DIAGNOSTIC,
                status=Entry.Status.SUBMITTED,
                submitted_at=timezone.now(),
            )
        return EntryFactory(
            trainee=alice, supervisor=bob, status=status, submitted_at=timezone.now()
        )

    def object(self, kind: str):
        if kind == "enrollment":
            return self.enrollment
        return self.entry(kind) if kind else None

    def admin_object(self, route: str):
        """A real row for an admin URL's <object_id>: of the model the route names."""
        app_label, model_name = route.split("/")[1:3]
        model = apps.get_model(app_label, model_name)
        if model is Entry:
            return self.entry("draft")
        if model is get_user_model():
            return self.users["alice"]
        if model is Enrollment:
            return self.enrollment
        if model is Group:
            return Group.objects.create(name="Coordinators")
        if model is SignatureCheck:
            entry = self.entry("submitted")
            return model.objects.create(entry=entry, revision=1, found_at=timezone.now())
        if model is DoseReading:
            return model.objects.create(
                person=self.users["alice"],
                recorded_by=self.users["alice"],
                period_start=timezone.localdate() - timedelta(days=30),
                period_end=timezone.localdate(),
                whole_body="0.1",
            )
        if model is DoseAlert:
            return model.objects.create(
                person=self.users["alice"],
                quarter=timezone.localdate().replace(day=1),
                quantity="whole_body",
                level=1,
                dose="0.6",
            )
        if model is EntrustmentDecision:
            director = UserFactory(username="dina")
            self.enrollment.program.directors.add(director)
            return record_decision(
                director=director,
                enrollment=self.enrollment,
                competency=Competency.objects.filter(program=self.enrollment.program).first(),
                level=1,
                decided_on=timezone.localdate(),
                rationale="Recorded for the admin's pages.",
            )
        if model is DBTaskResult:  # a queued email (procedures.mail)
            return model.objects.create(
                task_path="procedures.mail.send_email",
                args_kwargs={"args": [], "kwargs": {"subject": "Hi", "body": "", "to": "a@b.c"}},
                backend_name="default",
            )
        if app_label == "axes":
            extra = {
                "accessattempt": {"get_data": "", "post_data": "", "failures_since_start": 1},
            }.get(model_name, {})
            return model.objects.create(
                user_agent="pytest",
                ip_address="127.0.0.1",
                username="alice",
                http_accept="*/*",
                path_info="/accounts/login/",
                **extra,
            )
        found = model._default_manager.order_by("pk").first()
        assert found is not None, f"no {model_name} to open in the admin"
        return found


@pytest.fixture(scope="module", autouse=True)
def _quiet_refusals():
    """Hundreds of refusals are expected here: format no warning (nor traceback) for each."""
    loggers = [logging.getLogger(name) for name in ("django.request", "precept.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture(scope="module")
def one_client() -> Client:
    return Client()


@pytest.fixture
def client(one_client) -> Client:
    """One test client for the module, signed out before each case: every new client
    loads the middleware again, and WhiteNoise's scan of the static files costs 0.1 s."""
    one_client.cookies.clear()
    return one_client


PARAMETER = re.compile(r"<(?:\w+:)?(?P<name>\w+)>")
HISTORY_ROUTE = re.compile(r"admin/\w+/\w+/\(\[\^/\]\+\)/history/\(\[\^/\]\+\)/\$")


def path_of(url: Url, world: World, obj) -> str:
    """The URL with its parameters filled with real ids."""
    if url.regex:
        if url.key == "admin:app_list":
            return reverse("admin:app_list", args=["procedures"])
        if url.route == "admin/(?P<url>.*)$":
            return "/admin/no-such-page/"
        if HISTORY_ROUTE.fullmatch(url.route):  # django-simple-history: one past version
            obj = world.admin_object(url.route)
            version = obj.history.order_by("history_id").first()
            assert version is not None, f"no history of {obj!r} to open in the admin"
            return "/" + url.route.replace("([^/]+)", str(obj.pk), 1).replace(
                "([^/]+)", str(version.history_id), 1
            ).removesuffix("$")
        raise AssertionError(f"Fill the parameters of {url.route} in path_of()")
    values = {}
    if url.key == "admin:view_on_site":
        values["content_type_id"] = ContentType.objects.get_for_model(Entry).pk
        values["object_id"] = world.entry("submitted").pk
    elif url.route.startswith("admin/"):
        if "object_id>" in url.route:
            values["object_id"] = world.admin_object(url.route).pk
        values["id"] = world.users["alice"].pk  # the admin's user password page
    elif obj is not None:
        values["pk"] = obj.pk
    if "<id:competency>" in url.route:
        values["competency"] = (
            Competency.objects.filter(program=world.enrollment.program).order_by("pk").first().pk
        )

    def fill(match) -> str:
        assert match["name"] in values, f"Fill <{match['name']}> of {url.route} in path_of()"
        return str(values[match["name"]])

    return "/" + PARAMETER.sub(fill, url.route)


def location(to, world: World, path: str, obj) -> str:
    if callable(to):
        return to(world)
    if to == "@sign-in":
        return f"{reverse('login')}?next={quote(path)}"
    if to == "@admin-sign-in":
        return f"{reverse('admin:login')}?next={quote(path)}"
    if to == "@object":
        return obj.get_absolute_url()
    if to == "@favicon":
        return static("img/favicon.svg")
    return reverse(to)


def _counted_tables() -> list[str]:
    """Tables whose row counts a refused request must leave alone: an entry's history and
    events, the many-to-many links, and every table Django admin edits (django-axes' logs
    record sign-ins, not objects)."""
    models = [Entry.history.model, EntryEvent, ObservedAssessment, DoseReading]
    models += [m for m in django_admin.site._registry if m._meta.app_label != "axes"]
    tables = {m._meta.db_table for m in models}
    for model in models:
        tables |= {f.remote_field.through._meta.db_table for f in model._meta.local_many_to_many}
    return sorted(tables)


COUNTED_TABLES = _counted_tables()


def snapshot() -> dict:
    """What a refused POST must leave alone: the rows it could have changed, and how many
    rows each other table has (in one query: the cases must stay fast)."""
    quote = connection.ops.quote_name
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in COUNTED_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        row_counts = dict(zip(COUNTED_TABLES, cursor.fetchone(), strict=True))
    return {
        "entries": list(Entry.objects.order_by("pk").values()),
        "injectates": list(
            Entry.injectates.through.objects.order_by("pk").values_list("entry_id", "injectate_id")
        ),
        "signatures": list(Signature.objects.order_by("pk").values()),
        "enrollments": list(Enrollment.objects.order_by("pk").values()),
        "users": list(
            get_user_model()
            .objects.order_by("pk")
            .values("pk", "username", "password", "is_active", "is_staff", "is_superuser")
        ),
        "row counts": row_counts,
    }


# --- the tests ---------------------------------------------------------------------------------


def test_every_url_has_a_rule_and_every_rule_a_url():
    keys = {url.key for url in URLS if not url.admin}
    assert sorted(keys - set(TABLE)) == [], "URLs with no expectation: add them to TABLE"
    assert sorted(set(TABLE) - keys) == [], "TABLE rows for URLs that no longer exist"


def test_admin_urls_are_all_under_the_admin_prefix():
    admin_urls = [url for url in URLS if url.admin]
    assert admin_urls
    assert all(url.route.startswith("admin/") for url in admin_urls)
    assert not [url for url in URLS if url.route.startswith("admin/") and not url.admin]


@pytest.mark.parametrize("case", CASES)
def test_permission(request, db, client, case: Case):
    if case.expect is None:
        pytest.fail(f"No expectation for {case.url.key} ({case.url.route}): add it to TABLE")
    world = World(request, case.user)
    obj = world.object(case.obj)
    path = path_of(case.url, world, obj)
    assert resolve(path).route == case.url.route, f"{path} is not {case.url.route}"
    if case.user != "anonymous":
        client.force_login(world.users[case.user])

    if case.method == "GET":
        response = client.get(path)
    else:
        before = snapshot()
        response = client.post(path, case.data(world, obj) if case.data else {})
        after = snapshot()

    expect = case.expect
    allowed = expect.status if isinstance(expect.status, tuple) else (expect.status,)
    assert response.status_code in allowed, (response.status_code, response.get("Location"))
    if expect.to is not None:
        assert response["Location"] == location(expect.to, world, path, obj)
    if case.method == "POST":
        if expect.changes:
            assert after != before, "the write was accepted but changed nothing"
        else:
            assert after == before, "a refused or empty POST changed the database"
