"""The image check's smoke test, run by .ci/image_test.sh against a booted compose.yaml.

Through HTTP as people use the site, and through the worker container: /healthz, the
containers' own healthchecks, a campaign, recipients and staff made with the production
commands in the web container (`cardsapp demo` is refused in production), a card written with the
form's CSRF token, approved by a logged-in moderator, a batch built by the worker through
Redis, cards.pdf downloaded and checked, the labels PDF after a fresh password, /metrics on
its own port (and not on the site's), and the logs (no Alembic chatter, durations readable).
Standard library only (pypdf is used when it is installed); the data is synthetic.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import http.cookiejar
import io
import json
import re
import secrets
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

MESSAGE = "Dear friend, spring is coming and we think of you every day. Smoke test 7412."
SERVICES = ("migrate", "web", "worker", "redis", "postgres")


def say(text: str) -> None:
    """One line of progress."""
    print(f"  smoke: {text}", flush=True)


class AnyCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Production cookies are Secure; this check talks plain HTTP to 127.0.0.1."""

    def return_ok_secure(self, cookie, request):  # type: ignore[no-untyped-def]
        return True

    def set_ok(self, cookie, request):  # type: ignore[no-untyped-def]
        return True


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@dataclass
class Answer:
    status: int
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Browser:
    """A visitor with her own cookies."""

    base: str
    jar: http.cookiejar.CookieJar = field(
        default_factory=lambda: http.cookiejar.CookieJar(AnyCookiePolicy())
    )

    def open(self, path: str, data: dict[str, str] | None = None, follow: bool = True) -> Answer:
        handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPCookieProcessor(self.jar)]
        if not follow:
            handlers.append(NoRedirect())
        opener = urllib.request.build_opener(*handlers)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 (http only)
        request.add_header("Accept-Language", "en")
        try:
            with opener.open(request, timeout=60) as response:
                return Answer(
                    response.status, response.url, dict(response.headers), response.read()
                )
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.url, dict(exc.headers), exc.read())

    def form_token(self, path: str) -> str:
        """The CSRF token of the form on the page at `path`."""
        page = self.open(path)
        assert page.status == 200, f"GET {path}: {page.status}"
        return csrf_token(page.text)

    def log_in(self, email: str, password: str) -> None:
        token = self.form_token("/login")
        answer = self.open("/login", {"email": email, "password": password, "csrf_token": token})
        assert answer.status == 200 and "/login" not in answer.url, f"login: {answer.status}"


def totp(secret: str, at: float | None = None) -> str:
    """The six-digit code an authenticator app shows now (RFC 6238: SHA-1, 30 s)."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), "sha1").digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset : offset + 4], 'big') & 0x7FFFFFFF) % 10**6:06d}"


def csrf_token(html: str) -> str:
    """The first CSRF token on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def podman(
    *args: str, check: bool = True, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run podman; its output as text."""
    return subprocess.run(  # noqa: S603 (our own arguments)
        ["podman", *args],  # noqa: S607 (podman from PATH, as the shell script runs it)
        capture_output=True,
        text=True,
        check=check,
        input=input or "",
    )


def wait_for(what: str, probe, seconds: float):  # type: ignore[no-untyped-def]
    """Call probe() until it returns something true, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(1)


def check_pdf(data: bytes, what: str) -> int:
    """A PDF with at least one page; its page count (or 1 without pypdf)."""
    assert data.startswith(b"%PDF-"), f"{what} is not a PDF"
    assert b"%%EOF" in data[-1024:], f"{what} is cut short"
    try:
        from pypdf import PdfReader
    except ImportError:
        return 1
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert pages >= 1, f"{what} has no page"
    return pages


def set_up_campaign(container: str) -> dict[str, tuple[str, str]]:
    """A published campaign, synthetic recipients and three staff, as an operator makes them.

    (`cardsapp demo` is refused in production, and the image runs in production.)
    """

    def cardsapp(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(  # noqa: S603 (our own arguments)
            ["podman", "exec", "-i", container, "cardsapp", *args],  # noqa: S607
            input=stdin or "",
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, f"cardsapp {args[0]}: {done.stdout}{done.stderr}"[-1500:]
        return done.stdout

    logins = {}
    for role in ("moderator", "printer", "addresser"):
        email, password = f"{role}@example.org", secrets.token_urlsafe(18)
        cardsapp("create-user", email, "--role", role, stdin=password + "\n")
        logins[role] = (email, password)
    # The addresser makes the campaign, so its address key is hers (her password on stdin).
    email, password = logins["addresser"]
    cardsapp(
        "create-campaign",
        "smoke",
        "--title",
        "Smoke test cards",
        "--publish",
        "--as",
        email,
        stdin=password + "\n",
    )
    rows = ["public_label,name,address_line1,address_line2,city,postcode,country"]
    rows += [
        f"Person {n},Test Person {n},{n} Sample Street,,Sampleton,SX{n} 0AA,Testland"
        for n in range(1, 4)
    ]
    podman(
        "exec",
        "-i",
        container,
        "sh",
        "-c",
        'cat > "$HOME/recipients.csv"',
        input="\n".join(rows) + "\n",
    )
    cardsapp("import-recipients", "/home/cards/recipients.csv", "--campaign", "smoke")
    return logins


def run(project: str, base: str, metrics_out: Path | None) -> None:
    """The whole smoke test; raises AssertionError on the first thing that is wrong."""
    names = {service: f"{project}_{service}_1" for service in SERVICES}
    started = time.monotonic()

    def migrated() -> bool:
        state = podman(
            "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", names["migrate"]
        ).stdout.split()
        if state and state[0] == "exited" and state[1] != "0":
            raise AssertionError(f"migrate exited with {state[1]}")
        return state == ["exited", "0"]

    wait_for("the migrations", migrated, 240)
    say(f"migrations done after {time.monotonic() - started:.0f} s")
    visitor = Browser(base)
    wait_for("/healthz", lambda: visitor.open("/healthz").status == 200, 180)
    health = json.loads(visitor.open("/healthz").body)
    assert health == {"status": "ok", "database": "ok", "redis": "ok"}, health
    say(f"/healthz ok after {time.monotonic() - started:.0f} s")
    for service in ("web", "worker", "postgres"):
        # The compose healthchecks, run as the runtime runs them.
        result = podman("healthcheck", "run", names[service], check=False)
        assert result.returncode == 0, f"{service} healthcheck: {result.stdout}{result.stderr}"
    say("healthchecks of web, worker and postgres pass")

    logins = set_up_campaign(names["web"])
    say("campaign, recipients and staff made with the production commands in the web container")

    # A donor writes a card.
    donor = Browser(base)

    def writing_page() -> Answer | None:
        # Each web process rereads the campaign every few seconds (CARDS_PUBLIC_CACHE_SECONDS):
        # the campaign, made by another process, shows up within that time.
        page = donor.open("/write")
        return page if page.status == 200 and 'name="design"' in page.text else None

    page = wait_for("the campaign's writing page", writing_page, 60)
    designs = re.findall(r'name="design" value="([^"]+)"', page.text)
    sent = donor.open(
        "/write",
        {
            "csrf_token": csrf_token(page.text),
            "design": designs[0],
            "message": MESSAGE,
            "signature": "A friend",
            "recipient": "any",
            "website": "",
            "send": "1",
        },
    )
    reference = re.search(r'class="code">([^<]+)<', sent.text)
    assert sent.status == 200 and reference, f"card not sent: {sent.status} {sent.url}"
    reference_code = reference.group(1)
    say(f"card {reference_code} written over HTTP")

    # A moderator approves it.
    moderator = Browser(base)
    moderator.log_in(*logins["moderator"])
    queue = moderator.open("/moderate")
    cards = re.findall(r'<li class="queue-card[^"]*" id="card-(\d+)"(.*?)</li>', queue.text, re.S)
    ours = [card_id for card_id, block in cards if reference_code in block]
    assert ours, "the card is not in the moderation queue"
    slug = re.search(r'name="campaign" value="([^"]+)"', queue.text)
    decided = moderator.open(
        f"/moderate/{ours[0]}",
        {
            "csrf_token": csrf_token(queue.text),
            "action": "approve",
            "campaign": slug.group(1) if slug else "",
            "after": "",
        },
    )
    assert decided.status == 200, f"approve: {decided.status}"
    status = donor.open(f"/thanks/{reference_code}")
    assert status.status == 200, f"status page: {status.status}"
    say("card approved by a logged-in moderator")

    # A printer builds a batch: the web enqueues, the worker container builds it.
    printer = Browser(base)
    printer.log_in(*logins["printer"])
    token = printer.form_token("/batches")
    created = printer.open(
        "/batches",
        {"csrf_token": token, "max_cards": "50", "layout": "home_a4"},
        follow=False,
    )
    location = created.headers.get("Location", "")
    code_match = re.search(r"#batch-(\w+)", location)
    assert created.status in (302, 303) and code_match, f"batch not created: {location!r}"
    code = code_match.group(1)

    def ready() -> bool:
        answer = printer.open(f"/batches/{code}/status.json")
        state = json.loads(answer.body).get("status") if answer.status == 200 else None
        assert state != "failed", f"batch {code} failed"
        return state == "ready"

    wait_for(f"batch {code} to be built by the worker", ready, 180)
    cards_pdf = printer.open(f"/batches/{code}/cards.pdf")
    assert cards_pdf.status == 200, f"cards.pdf: {cards_pdf.status}"
    pages = check_pdf(cards_pdf.body, "cards.pdf")
    say(f"batch {code} built by the worker; cards.pdf: {pages} pages, {len(cards_pdf.body)} bytes")

    # An addresser (sign-in codes are required for her role) types her password on the
    # labels page; it opens the addresses in that one request.
    addresser = Browser(base)
    addresser.log_in(*logins["addresser"])
    enrol = addresser.open("/account/two-factor")
    secret = re.search(r"<code>([A-Z2-7 ]{32,40})</code>", enrol.text)
    assert secret, "two-factor: no key shown"
    addresser.open(
        "/account/two-factor",
        {"csrf_token": csrf_token(enrol.text), "code": totp(secret.group(1).replace(" ", ""))},
    )
    target = f"/batches/{code}/labels.pdf"
    token = addresser.form_token(target)
    labels = addresser.open(
        target, {"csrf_token": token, "password": logins["addresser"][1], "sheet": "L7163"}
    )
    assert labels.status == 200, f"labels.pdf: {labels.status}"
    assert labels.headers.get("Content-Type", "").startswith("application/pdf"), labels.url
    label_pages = check_pdf(labels.body, "labels.pdf")
    say(f"labels.pdf with the addresser's password: {label_pages} pages")

    # Metrics: on their own port inside the network, not on the site.
    assert visitor.open("/metrics").status == 404, "/metrics must not be served on the site"
    scrape = podman(
        "exec",
        names["web"],
        "python",
        "-c",
        "import urllib.request; print(urllib.request.urlopen("
        "'http://127.0.0.1:9100/metrics', timeout=10).read().decode())",
    ).stdout
    for expected in (
        'cardsapp_http_requests_total{endpoint="donate.write"',
        "cardsapp_http_request_duration_seconds_bucket",
        'cardsapp_cards{status="approved"}',
        'cardsapp_queue_jobs{queue="batches"}',
        'cardsapp_batches{status="ready"}',
        "cardsapp_batch_build_seconds_bucket",
    ):
        assert expected in scrape, f"/metrics lacks {expected}"
    for personal in (
        reference_code,
        "Smoke test 7412",
        "Sample Street",
        *(e for e, _ in logins.values()),
    ):
        assert personal not in scrape, "/metrics shows personal data"
    if metrics_out:
        metrics_out.write_text(scrape)
    say("/metrics scraped on port 9100, nothing personal in it")

    migrate_log = podman("logs", names["migrate"]).stdout + podman("logs", names["migrate"]).stderr
    assert "setup plugin" not in migrate_log, "Alembic chatter in the migrate logs"
    worker_log = "".join(
        getattr(podman("logs", names["worker"]), part) for part in ("stdout", "stderr")
    )
    assert re.search(r"job in \d+:\d\d:\d\d\.\d+s", worker_log), "no readable job duration"
    say("logs: no Alembic chatter; the worker's job durations are readable")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", required=True)
    parser.add_argument("--base", required=True, help="the site, e.g. http://127.0.0.1:8000")
    parser.add_argument("--metrics-out", type=Path, default=None)
    args = parser.parse_args()
    try:
        run(args.project, args.base.rstrip("/"), args.metrics_out)
    except AssertionError as exc:
        print(f"  smoke: FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
