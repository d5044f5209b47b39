import io
import json
import logging

from hypothesis import given
from hypothesis import strategies as st

from cardsapp.logs import MASK, JsonFormatter, PersonalDataFilter, configure_logging, redact


def _log_line(**kwargs) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.logs")
    logger.handlers = [handler]
    logger.propagate = False
    logger.warning(kwargs.pop("msg"), *kwargs.pop("args", ()), **kwargs)
    return json.loads(stream.getvalue())


def test_emails_and_ip_addresses_in_log_texts_are_masked():
    line = _log_line(msg="login for %s from %s", args=("canary@example.org", "203.0.113.9"))
    assert "canary@example.org" not in json.dumps(line)
    assert "203.0.113.9" not in json.dumps(line)
    assert line["msg"] == f"login for {MASK} from {MASK}"


def test_personal_fields_passed_as_extras_are_refused():
    line = _log_line(
        msg="card stored", extra={"card_id": 7, "message_text": "canary text", "address": "x"}
    )
    assert line["card_id"] == 7
    assert line["message_text"] == MASK and line["address"] == MASK


def test_exception_texts_are_withheld_but_their_type_is_kept():
    try:
        raise ValueError("INSERT ... canary-message-text")
    except ValueError:
        line = _log_line(msg="failed", exc_info=True)
    assert "canary" not in json.dumps(line)
    assert line["error"].startswith("ValueError")


@given(st.emails())
def test_any_email_address_is_masked(email):
    assert email not in redact(f"user {email} logged in")


@given(st.ip_addresses(v=4).map(str))
def test_any_ipv4_address_is_masked(ip):
    assert ip not in redact(f"GET / from {ip}")


def test_the_logger_name_and_level_are_kept():
    line = _log_line(msg="hello")
    assert line["logger"] == "test.logs" and line["level"] == "warning"


def test_a_job_duration_in_a_worker_log_is_not_mistaken_for_an_ip_address():
    # RQ: "Successfully completed ... job in 0:00:00.084745s"; was "in [redacted].084745s".
    text = "Successfully completed worker.jobs.build_batch(12) job in 0:00:00.084745s on w1"
    assert redact(text) == text


def test_times_of_day_are_kept_and_ipv6_addresses_still_masked():
    text = redact("at 01:35:04 from 2001:db8::7 and fe80::1%eth0 and ::1, then 1:2:3:4:5:6:7:8")
    assert text == f"at 01:35:04 from {MASK} and {MASK}%eth0 and {MASK}, then {MASK}"


@given(st.ip_addresses(v=6).map(str))
def test_any_ipv6_address_is_masked(ip):
    assert ip not in redact(f"GET / from {ip} ok")


def test_alembic_does_not_name_its_plugins_in_the_logs_but_still_says_what_it_migrates():
    configure_logging()
    assert not logging.getLogger("alembic.runtime.plugins").isEnabledFor(logging.INFO)
    # Its own level only: a command run earlier in the same process may have quieted the root.
    assert logging.getLogger("alembic.runtime.migration").level <= logging.INFO
