"""A short fuzz run of the message pipeline; bench/fuzz_messages.py runs 100,000 cases."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardsapp.extensions import db
from tests.factories import make_campaign
from tests.message_fuzz import CORPUS, FuzzTally, check_one, messages


@pytest.fixture
def campaign(app):
    campaign = make_campaign(db.session)
    db.session.commit()
    return campaign


@pytest.mark.parametrize("message", CORPUS, ids=range(len(CORPUS)))
def test_every_hand_made_nasty_is_accepted_or_refused_with_a_reason(app, campaign, message):
    check_one(app, campaign, message, "", FuzzTally())


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(message=messages, signature=st.one_of(st.just(""), messages))
def test_any_unicode_text_is_accepted_or_refused_with_a_reason(app, campaign, message, signature):
    check_one(app, campaign, message, signature, FuzzTally())


@pytest.mark.parametrize("message", CORPUS[:20], ids=range(20))
def test_the_web_never_answers_500_to_a_nasty_message(client, campaign, message):
    page = client.get("/write")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    token = token.split('"')[0]
    data = {"csrf_token": token, "design": "plain", "message": message, "recipient": "any"}
    encoded = {k: v.encode("utf-8", "surrogatepass") for k, v in data.items()}
    for path in ("/preview", "/write"):
        response = client.post(path, data=encoded)
        assert response.status_code < 500, (path, response.status_code)
        if response.status_code == 422:
            assert response.get_data(as_text=True).strip()
