"""Shared pieces of the load and fault benchmarks: servers, users, measured steps."""

from __future__ import annotations

import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import gevent
from locust import task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment
from locust.runners import STATE_RUNNING, LocalRunner

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from drafts import CardDraft  # noqa: E402

from cardsapp.redis_server import EmbeddedRedis  # noqa: E402

P99_LIMIT_MS = 300
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Step:
    target_rps: float
    achieved_rps: float
    p99_ms: float
    requests: int
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0

    @property
    def errors_5xx(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500 or code == 0)

    @property
    def held(self) -> bool:
        return (
            self.p99_ms < P99_LIMIT_MS
            and self.errors_5xx == 0
            and self.achieved_rps >= 0.85 * self.target_rps
        )

    def line(self) -> str:
        codes = " ".join(f"{c}:{n}" for c, n in sorted(self.statuses.items()))
        verdict = "held" if self.held else "NOT held"
        return (
            f"  target {self.target_rps:6.0f} rps: achieved {self.achieved_rps:6.1f}, "
            f"p99 {self.p99_ms:5.0f} ms, {codes} -> {verdict}"
        )


def poisson_arrivals(user: FastHttpUser) -> float:
    """One request a second per user on average, at random moments (a Poisson process).

    The next moment is drawn from the schedule, not from the end of the last request, so
    slow answers do not lower the rate; and the users never fall into step and hit the
    server in synchronised bursts.
    """
    now = time.monotonic()
    due = max(getattr(user, "_due", now), now - 1.0) + random.expovariate(1.0)
    user._due = due  # type: ignore[attr-defined]
    return max(0.0, due - now)


class ProxiedUser(FastHttpUser):
    """A client as the app sees it behind a TLS proxy: https, Secure cookies kept, and each
    request stamped with the moment it was sent, as nginx stamps the moment it arrived
    (`X-Request-Start`, which the app uses to refuse what waited too long)."""

    abstract = True
    default_headers = {"X-Forwarded-Proto": "https"}  # noqa: RUF012 - locust's own attribute
    # How many users have made their first requests (a form, a login): see settle().
    ready = 0

    def on_start(self) -> None:
        # The proxy is left out on loopback; the cookies the app marks Secure still go back.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "http")))
        send = self.client.request

        def stamped(method: str, url: str, headers: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
            stamp = {"X-Request-Start": f"t={time.time():.3f}"}
            return send(method, url, headers={**(headers or {}), **stamp}, **kwargs)

        self.client.request = stamped  # type: ignore[method-assign]
        self.first_requests()
        ProxiedUser.ready += 1

    def first_requests(self) -> None:
        """What a user does once before the load proper (open the form, log in)."""


class Donor(ProxiedUser):
    """Reads the campaign, opens the form, writes her card with a preview every few words,
    sometimes sends it and begins another."""

    weight = 8
    wait_time = poisson_arrivals
    token = ""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # What she has written stays hers, even when she opens the form again after a 503.
        self.card = CardDraft()

    def first_requests(self) -> None:
        page = self.client.get("/write", name="GET /write")
        found = CSRF.search(page.text or "")
        self.token = found.group(1) if found else ""

    def has_form(self) -> bool:
        """Whether she has the form: after a "busy" page instead, she opens it again first."""
        if not self.token:
            self.first_requests()
        return bool(self.token)

    def _fields(self) -> dict[str, str]:
        return {
            "csrf_token": self.token,
            "design": self.card.design,
            "message": self.card.message,
            "signature": "Тэст",
            "recipient": "any",
        }

    @task(4)
    def landing(self) -> None:
        self.client.get("/", name="GET /")

    @task(1)
    def write_page(self) -> None:
        self.client.get("/write", name="GET /write")

    @task(3)
    def preview(self) -> None:
        if not self.has_form():
            return
        self.card.write_more()
        self.client.post(
            "/preview",
            data=self._fields(),
            headers={"X-CSRFToken": self.token, "X-Requested-With": "fetch"},
            name="POST /preview",
        )

    @task(1)
    def submit(self) -> None:
        if not self.has_form():
            return
        fields = {**self._fields(), "send": "1"}
        self.client.post("/write", data=fields, name="POST /write", allow_redirects=False)
        self.card.begin()


class CounterReader(ProxiedUser):
    weight = 3
    wait_time = poisson_arrivals

    @task
    def counter(self) -> None:
        self.client.get("/api/counter", name="GET /api/counter")


class Moderator(ProxiedUser):
    """Logs in once and pages through the queue.

    The team is ten people whatever the load: a campaign's audience grows on the day it is
    shared, its moderators do not (at 700 requests a second, one user in twelve would be
    58 moderators, each opening a queue page every second).
    """

    fixed_count = 10
    wait_time = poisson_arrivals
    # One account each: a login ends the account's other sessions, as it does for people.
    accounts: list[str] = []  # noqa: RUF012
    password = secrets.token_urlsafe(16)
    taken = 0

    def first_requests(self) -> None:
        page = self.client.get("/login", name="GET /login")
        found = CSRF.search(page.text or "")
        email = Moderator.accounts[Moderator.taken % len(Moderator.accounts)]
        Moderator.taken += 1
        self.client.post(
            "/login",
            data={
                "csrf_token": found.group(1) if found else "",
                "email": email,
                "password": self.password,
            },
            name="POST /login",
            allow_redirects=False,
        )

    @task
    def queue(self) -> None:
        self.client.get("/moderate", name="GET /moderate")


class Bare(FastHttpUser):
    wait_time = poisson_arrivals

    @task
    def ok(self) -> None:
        self.client.get("/", name="GET bare")


def settle(runner: LocalRunner) -> None:
    """Wait until every user has started and made its first requests, then a little more.

    Starting users is the generator's own storm, not the load: at 300 users it takes three
    seconds, and each moderator's login hashes a password (argon2, 150 ms of both cores).
    Measured from the start, a step would report the storm's tail instead of the rate.
    """
    deadline = time.monotonic() + 60
    while runner.state != STATE_RUNNING and time.monotonic() < deadline:
        gevent.sleep(0.1)
    proxied = sum(isinstance(g.args[0], ProxiedUser) for g in runner.user_greenlets if g.args)
    while ProxiedUser.ready < proxied and time.monotonic() < deadline:
        gevent.sleep(0.1)
    gevent.sleep(2)


def run_step(host: str, users: list[type[FastHttpUser]], rate: float, seconds: float) -> Step:
    """Run `rate` requests a second for `seconds` (after a short warm-up) and measure."""
    statuses: dict[int, int] = {}
    env = Environment(user_classes=users, host=host)

    by_name: dict[str, dict[int, int]] = {}

    def count(name="", response=None, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        code = getattr(response, "status_code", 0) or 0
        statuses[code] = statuses.get(code, 0) + 1
        per = by_name.setdefault(name, {})
        per[code] = per.get(code, 0) + 1

    runner = env.create_local_runner()
    user_count = max(1, round(rate))
    ProxiedUser.ready = 0
    runner.start(user_count, spawn_rate=min(100, max(10, user_count)))
    settle(runner)
    env.stats.reset_all()
    env.events.request.add_listener(count)
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    total = env.stats.total
    for error in env.stats.errors.values():
        print(f"    {error.occurrences} x {error.method} {error.name}: {error.error}", flush=True)
    step = Step(
        target_rps=rate,
        achieved_rps=total.num_requests / elapsed,
        p99_ms=total.get_response_time_percentile(0.99) or 0.0,
        requests=total.num_requests,
        statuses=dict(statuses),
        failures=total.num_failures,
    )
    env.events.request.remove_listener(count)
    runner.quit()
    if os.environ.get("LOAD_VERBOSE"):
        for name, entry in sorted(env.stats.entries.items()):
            print(
                f"    {name[1]} {name[0]}: median {entry.median_response_time} ms, "
                f"p99 {entry.get_response_time_percentile(0.99)} ms, {by_name.get(name[0])}"
            )
    return step


def search(
    host: str,
    users: list[type[FastHttpUser]],
    start: float,
    seconds: float,
    refine: int = 3,
) -> tuple[Step | None, list[Step]]:
    """The highest rate held: step up by 25% until a step is not held, then halve the gap.

    `refine` bisections between the last held rate and the first one not held narrow the
    answer from 25% to about 3%, for the app and the ceiling alike.
    """
    run_step(host, users, start, 4)  # warm-up: connections, sessions, first pages
    rate, best, steps = start, None, []
    failed = None
    while rate < 5000:
        step = run_step(host, users, rate, seconds)
        steps.append(step)
        print(step.line(), flush=True)
        if not step.held:
            failed = rate
            break
        best = step
        rate *= 1.25
    low = best.target_rps if best else 0.0
    for _ in range(refine if failed and best else 0):
        rate = (low + failed) / 2
        step = run_step(host, users, rate, seconds)
        steps.append(step)
        print(step.line(), flush=True)
        if step.held:
            low, best = rate, step
        else:
            failed = rate
    return best, steps


def start_server(app: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """gunicorn with gunicorn.conf.py on a loopback port, as it runs behind a TLS proxy."""
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            app,
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Ready when every worker has warmed up: a run of quick answers in a row.
    deadline, quick = time.monotonic() + 120, 0
    while time.monotonic() < deadline and quick < 20:
        started = time.monotonic()
        quick = quick + 1 if _answers(f"http://127.0.0.1:{port}/") else 0
        if time.monotonic() - started > 0.1:
            quick = 0
        time.sleep(0.05)
    if quick < 20:
        process.kill()
        raise RuntimeError(f"{app} did not start")
    return process


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def recovery_seconds(host: str, limit: float = 60) -> float:
    """Seconds until the landing page answers 200 within P99_LIMIT_MS five times running."""
    started, good = time.monotonic(), 0
    while time.monotonic() - started < limit:
        t0 = time.monotonic()
        ok = _answers(host + "/")
        good = good + 1 if ok and (time.monotonic() - t0) * 1000 < P99_LIMIT_MS else 0
        if good >= 5:
            return round(time.monotonic() - started, 1)
        time.sleep(0.2)
    return float("inf")


class Stack:
    """A private Redis, a fresh database with demo data and the environment to reach them."""

    def __init__(self, database_url: str | None = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="cards-bench-"))
        self.redis = EmbeddedRedis(self.tmp / "redis").start()
        self.database_url = database_url or f"sqlite:///{self.tmp / 'bench.sqlite3'}"
        self.env = dict(os.environ)
        self.env.update(
            CARDS_ENV="production",
            CARDS_INSTANCE_PATH=str(self.tmp),
            SECRET_KEY=secrets.token_urlsafe(48),
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis.url,
            CARDS_SEND_LIMITS="browser=1000000,budget=1000000000000,address=1000000,global=1000000",
            CARDS_RATE_LIMIT_PREVIEW="1000000 per minute",
            CARDS_RATE_LIMIT_LOGIN="1000000 per minute",
            PYTHONPATH=str(ROOT / "bench"),
            # As in production behind nginx or Caddy, which terminate TLS on loopback.
            CARDS_PROXY_HOPS="1",
        )
        self.servers: list[subprocess.Popen[bytes]] = []

    def prepare(self) -> None:
        """init-db, demo data, and moderator accounts for the load's moderators."""
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        from cardsapp.models import Role
        from cardsapp.services.users import create_user

        cardsapp = str(BIN / "cardsapp")
        subprocess.run([cardsapp, "init-db"], env=self.env, check=True, capture_output=True)
        subprocess.run([cardsapp, "demo"], env=self.env, check=True, capture_output=True)
        engine = create_engine(self.database_url)
        with Session(engine) as session:
            for n in range(40):
                email = f"load-moderator-{n}@example.org"
                create_user(session, email, Moderator.password, {Role.MODERATOR})
                Moderator.accounts.append(email)
            session.commit()
        engine.dispose()

    def serve(self, app: str = "cardsapp:create_app()") -> str:
        """Start gunicorn for `app`; return its URL."""
        port = free_port()
        self.servers.append(start_server(app, port, self.env))
        return f"http://127.0.0.1:{port}"

    def close(self) -> None:
        for server in self.servers:
            server.terminate()
            server.wait(timeout=30)
        self.redis.stop()


@dataclass
class Ledger:
    """Every answer of a fault run, in order: when, what, which status, which card."""

    started: float = field(default_factory=time.monotonic)
    rows: list[tuple[float, str, int, str]] = field(default_factory=list)

    def record(self, name: str = "", response=None, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        code = getattr(response, "status_code", 0) or 0
        location = ""
        if code == 303 and response is not None:
            location = (response.headers.get("Location") or "").rstrip("/").rsplit("/", 1)[-1]
        self.rows.append((time.monotonic() - self.started, name, code, location))

    def references(self) -> list[str]:
        """The cards whose submission got a success answer."""
        return [ref for _t, name, code, ref in self.rows if code == 303 and ref]

    def statuses(self, since: float = 0, until: float = float("inf"), name: str = "") -> dict:
        counts: dict[int, int] = {}
        for t, n, code, _ref in self.rows:
            if since <= t < until and (not name or n == name):
                counts[code] = counts.get(code, 0) + 1
        return counts


def run_with_ledger(
    host: str, users: list[type[FastHttpUser]], rate: float, seconds: float, during
) -> Ledger:  # type: ignore[no-untyped-def]
    """Run a steady load for `seconds` while `during(ledger)` (a gevent greenlet) does harm."""
    env = Environment(user_classes=users, host=host)
    ledger = Ledger()
    env.events.request.add_listener(ledger.record)
    runner = env.create_local_runner()
    runner.start(max(1, round(rate)), spawn_rate=min(100, max(10, round(rate))))
    harm = gevent.spawn(during, ledger)
    gevent.sleep(seconds)
    runner.quit()
    harm.join(timeout=120)
    return ledger


def stored_references(database_url: str, references: list[str]) -> set[str]:
    """Which of these card references are in the database."""
    from sqlalchemy import create_engine, select

    from cardsapp.models import Card

    engine = create_engine(database_url)
    found: set[str] = set()
    with engine.connect() as connection:
        for start in range(0, len(references), 500):
            chunk = references[start : start + 500]
            found |= set(
                connection.scalars(select(Card.reference).where(Card.reference.in_(chunk)))
            )
    engine.dispose()
    return found


def card_count(database_url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from cardsapp.models import Card

    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count(Card.id))) or 0
    engine.dispose()
    return count


class Writer(Donor):
    """A donor who mostly sends cards: the fault runs count what was kept."""

    weight = 1

    @task(3)
    def send(self) -> None:
        self.card.write_more()
        self.submit()

    @task(1)
    def counter(self) -> None:
        self.client.get("/api/counter", name="GET /api/counter")
