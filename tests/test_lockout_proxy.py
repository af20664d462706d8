"""Sign-in lockout behind reverse proxies: the address that counts cannot be aimed.

A proxy appends the address its connection came from to X-Forwarded-For (nginx:
`$proxy_add_x_forwarded_for`), so a request here carries the header as the client wrote
it plus one entry per proxy, and REMOTE_ADDR is the nearest proxy. `via_proxies` builds
exactly that.
"""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client, RequestFactory
from django.urls import reverse
from ipware.ip import get_client_ip

from accounts.client_ip import client_ip_address
from tests.factories import PASSWORD
from tests.test_security import _start_django

NGINX = "10.0.0.2"  # the proxy, as gunicorn sees it
CDN = "10.0.0.7"  # a second proxy in front of nginx
CLIENT_A = "198.51.100.10"
CLIENT_B = "198.51.100.20"
VICTIM = "203.0.113.5"
ATTACKER = "192.0.2.66"
LIMIT = 5


@pytest.fixture(autouse=True)
def _five_failures_lock(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def behind_one_proxy(settings):
    settings.PRECEPT_PROXY_COUNT = 1
    settings.PRECEPT_TRUSTED_PROXIES = []


@pytest.fixture
def no_proxy(settings):
    settings.PRECEPT_PROXY_COUNT = 0
    settings.PRECEPT_TRUSTED_PROXIES = []


def via_proxies(client_addr: str, *, written: str | None = None, hops: tuple = ()) -> dict:
    """The request's META after it went client -> hops... -> nginx -> gunicorn: each proxy
    appends the address it was connected from; the client may have written a header."""
    chain = [client_addr, *hops]
    entries = [written] if written is not None else []
    entries += chain
    return {"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": ", ".join(entries)}


def sign_in(client: Client, password: str, meta: dict, username: str = "alice"):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def fail_until_locked(client: Client, meta: dict) -> None:
    for attempt in range(1, LIMIT + 1):
        response = sign_in(client, "wrong", meta)
        assert response.status_code == (429 if attempt == LIMIT else 200), attempt


def recorded_addresses() -> tuple[set, set]:
    attempts = set(AccessAttempt.objects.values_list("username", "ip_address"))
    failures = set(AccessFailureLog.objects.values_list("username", "ip_address"))
    return attempts, failures


# --- Which X-Forwarded-For entry counts -----------------------------------------------


@pytest.mark.parametrize("proxies", [1, 2, 3])
def test_the_address_that_counts_is_the_entry_as_many_places_from_the_right_as_proxies(
    settings, proxies
):
    """N proxies append N entries; the first of them (N from the right) is the client.
    Whatever the client wrote to its left, however many entries, is never used."""
    settings.PRECEPT_PROXY_COUNT = proxies
    settings.PRECEPT_TRUSTED_PROXIES = []
    hops = (CDN, "10.0.0.8")[: proxies - 1]
    factory = RequestFactory()
    for written in (None, VICTIM, f"{VICTIM}, 203.0.113.6", "not-an-address", f'{VICTIM}, "'):
        request = factory.post("/", **via_proxies(CLIENT_A, written=written, hops=hops))
        assert client_ip_address(request) == CLIENT_A, request.META["HTTP_X_FORWARDED_FOR"]


def test_the_entries_the_proxies_append_are_read_by_position_only(settings):
    """With two proxies, the entry two from the right counts: not the rightmost (the outer
    proxy), not the leftmost (written by the client)."""
    settings.PRECEPT_PROXY_COUNT = 2
    request = RequestFactory().post(
        "/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"{VICTIM}, {CLIENT_A}, {CDN}"
    )
    assert client_ip_address(request) == CLIENT_A


def test_fewer_entries_than_proxies_or_an_unreadable_one_count_against_the_proxy(settings):
    """A proxy that did not append (misconfigured) or garbage where a proxy's entry should
    be: the one address nobody can forge is the connection's."""
    settings.PRECEPT_PROXY_COUNT = 2
    factory = RequestFactory()
    for header in (CLIENT_A, f"{CLIENT_A}, not-an-address", ""):
        request = factory.post("/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=header)
        assert client_ip_address(request) == NGINX, header
    assert client_ip_address(factory.post("/", REMOTE_ADDR=NGINX)) == NGINX


def test_django_ipware_alone_would_believe_the_clients_entry():
    """Why accounts/client_ip.py trims the header before django-ipware reads it: ipware's
    proxy_count expects `<client>, <proxy1>`, so on nginx's header with proxy_count=1 it
    answers the entry the client wrote, and nothing for an honest client. (If ipware ever
    changes this, revisit the note in accounts/client_ip.py.)"""
    factory = RequestFactory()
    order = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    forged = factory.post("/", **via_proxies(ATTACKER, written=VICTIM))
    honest = factory.post("/", **via_proxies(CLIENT_A))
    assert get_client_ip(forged, proxy_count=1, request_header_order=order)[0] == VICTIM
    assert get_client_ip(honest, proxy_count=1, request_header_order=order)[0] is None
    # Non-strict, a quote in the client's part swallows nginx's entry.
    quoted = factory.post("/", **via_proxies(ATTACKER, written=f'{VICTIM}, "'))
    assert get_client_ip(quoted, proxy_count=0, request_header_order=order, strict=False)[0] == (
        VICTIM
    )


# --- Behind one proxy -----------------------------------------------------------------


def test_behind_a_proxy_failures_from_one_client_do_not_lock_out_another(behind_one_proxy, alice):
    client_a, client_b = Client(), Client()
    fail_until_locked(client_a, via_proxies(CLIENT_A))
    assert sign_in(client_a, PASSWORD, via_proxies(CLIENT_A)).status_code == 429

    # The same user, through the same proxy (same REMOTE_ADDR), from another client.
    response = sign_in(client_b, PASSWORD, via_proxies(CLIENT_B))
    assert response.status_code == 302
    assert client_b.session["_auth_user_id"] == str(alice.pk)
    # B's success resets B's record only: A is still locked.
    assert sign_in(Client(), PASSWORD, via_proxies(CLIENT_A)).status_code == 429

    attempts, failures = recorded_addresses()
    assert attempts == {("alice", CLIENT_A)}
    assert failures == {("alice", CLIENT_A)}
    assert AccessAttempt.objects.get().failures_since_start >= LIMIT


def test_behind_two_proxies_the_recorded_address_is_the_client(settings, alice):
    settings.PRECEPT_PROXY_COUNT = 2
    meta = via_proxies(CLIENT_A, written=VICTIM, hops=(CDN,))
    assert sign_in(Client(), "wrong", meta).status_code == 200
    assert recorded_addresses() == ({("alice", CLIENT_A)}, {("alice", CLIENT_A)})


def test_a_forged_header_cannot_aim_failures_at_the_victims_address(behind_one_proxy, alice):
    """The attacker writes the victim's address; nginx appends the attacker's own."""
    attacker = Client()
    fail_until_locked(attacker, via_proxies(ATTACKER, written=VICTIM))

    victim = Client()
    assert sign_in(victim, PASSWORD, via_proxies(VICTIM)).status_code == 302
    attempts, failures = recorded_addresses()
    assert attempts == {("alice", ATTACKER)}
    assert failures == {("alice", ATTACKER)}


@pytest.mark.parametrize(
    "written",
    [
        VICTIM,
        f"{VICTIM}, {CLIENT_B}",
        "203.0.113.77",
        "not-an-address",
        f'{VICTIM}, "',  # a quote, to swallow nginx's entry
        '"',
        f"{VICTIM},",
        "",
    ],
)
def test_varying_the_forged_entries_does_not_escape_ones_own_lockout(
    behind_one_proxy, alice, written
):
    attacker = Client()
    fail_until_locked(attacker, via_proxies(ATTACKER))
    # Even the right password, from the attacker's own address, is refused.
    assert sign_in(attacker, PASSWORD, via_proxies(ATTACKER, written=written)).status_code == 429
    assert sign_in(attacker, "wrong", via_proxies(ATTACKER, written=written)).status_code == 429
    attempts, failures = recorded_addresses()
    assert attempts == {("alice", ATTACKER)}
    assert failures == {("alice", ATTACKER)}


# --- No proxy -------------------------------------------------------------------------


def test_without_a_proxy_the_header_is_ignored_and_the_connection_counts(no_proxy, alice):
    attacker = Client()
    for attempt in range(1, LIMIT + 1):
        # A different forged header each time, the victim's among them.
        header = VICTIM if attempt == 1 else f"203.0.113.{attempt}, {VICTIM}"
        response = sign_in(
            attacker, "wrong", {"REMOTE_ADDR": ATTACKER, "HTTP_X_FORWARDED_FOR": header}
        )
        assert response.status_code == (429 if attempt == LIMIT else 200), attempt
    forged = {"REMOTE_ADDR": ATTACKER, "HTTP_X_FORWARDED_FOR": CLIENT_B}
    assert sign_in(attacker, PASSWORD, forged).status_code == 429

    victim = Client()
    assert sign_in(victim, PASSWORD, {"REMOTE_ADDR": VICTIM}).status_code == 302
    attempts, failures = recorded_addresses()
    assert attempts == {("alice", ATTACKER)}
    assert failures == {("alice", ATTACKER)}
    assert AccessFailureLog.objects.filter(ip_address=ATTACKER).count() >= LIMIT


# --- Trusted proxies (DJANGO_TRUSTED_PROXIES) -----------------------------------------


def test_with_trusted_proxies_the_header_counts_only_from_them(settings, alice):
    settings.PRECEPT_PROXY_COUNT = 1
    settings.PRECEPT_TRUSTED_PROXIES = ["10.0.0.0/29", "127.0.0.1"]
    factory = RequestFactory()
    through_nginx = factory.post("/", **via_proxies(CLIENT_A, written=VICTIM))
    assert client_ip_address(through_nginx) == CLIENT_A
    mapped = factory.post("/", REMOTE_ADDR="::ffff:127.0.0.1", HTTP_X_FORWARDED_FOR=CLIENT_A)
    assert client_ip_address(mapped) == CLIENT_A

    # Straight to an app server's port, past the proxy, writing the victim's address.
    direct = {"REMOTE_ADDR": ATTACKER, "HTTP_X_FORWARDED_FOR": VICTIM}
    assert sign_in(Client(), "wrong", direct).status_code == 200
    assert recorded_addresses() == ({("alice", ATTACKER)}, {("alice", ATTACKER)})


def test_with_trusted_proxies_every_proxy_hop_must_be_one_of_them(settings):
    settings.PRECEPT_PROXY_COUNT = 2
    settings.PRECEPT_TRUSTED_PROXIES = ["10.0.0.0/29"]
    factory = RequestFactory()
    trusted = factory.post("/", **via_proxies(CLIENT_A, written=VICTIM, hops=(CDN,)))
    assert client_ip_address(trusted) == CLIENT_A
    # The outer hop is not a trusted proxy: the header is not believed.
    untrusted = factory.post("/", **via_proxies(CLIENT_A, hops=("198.51.100.99",)))
    assert client_ip_address(untrusted) == NGINX


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_PROXY_COUNT": "-1"}, "DJANGO_PROXY_COUNT must be 0"),
        ({"DJANGO_TRUSTED_PROXIES": "10.0.0.2"}, "DJANGO_TRUSTED_PROXIES needs DJANGO_PROXY_COUNT"),
        ({"DJANGO_PROXY_COUNT": "1", "DJANGO_TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES"),
        ({"DJANGO_PROXY_COUNT": "1", "DJANGO_TRUSTED_PROXIES": "nginx"}, "TRUSTED_PROXIES"),
    ],
    ids=["negative-count", "trusted-without-count", "bad-network", "not-an-address"],
)
def test_a_wrong_proxy_setting_stops_the_app_from_starting(env, message):
    result = _start_django(DJANGO_SECRET_KEY="k" * 60, DJANGO_ALLOWED_HOSTS="x.org", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_app_starts_with_a_proxy_count_and_trusted_proxies():
    result = _start_django(
        DJANGO_SECRET_KEY="k" * 60,
        DJANGO_ALLOWED_HOSTS="x.org",
        DJANGO_PROXY_COUNT="1",
        DJANGO_TRUSTED_PROXIES="10.0.0.0/8,127.0.0.1,::1",
    )
    assert result.returncode == 0, result.stderr
