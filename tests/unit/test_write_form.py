"""The live preview and a card sent read the posted form without building it: they must read
what the form reads."""

from __future__ import annotations

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from cardsapp.services.submissions import ANY_RECIPIENT
from cardsapp.web.donate.forms import (
    MAX_MESSAGE_INPUT,
    MAX_SIGNATURE_INPUT,
    WriteForm,
    posted_draft,
    posted_is_bot,
    posted_preview,
)

FIELDS = ("design", "message", "signature", "recipient", "website", "preview")
app = Flask(__name__)
app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)

values = st.lists(
    st.text(max_size=40)
    | st.text(min_size=490, max_size=520)
    | st.sampled_from(["", " ", "false", "False", "1", " \t\n" * 80 + "x"]),
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(posted=st.fixed_dictionaries({}, optional={name: values for name in FIELDS}))
def test_posted_draft_reads_what_the_form_reads(posted: dict[str, list[str]]) -> None:
    formdata = MultiDict([(name, value) for name, vals in posted.items() for value in vals])
    with app.test_request_context(method="POST"):
        form = WriteForm(formdata=formdata)
        assert posted_draft(formdata) == form.draft()
        assert posted_is_bot(formdata) == form.is_bot()
        assert posted_preview(formdata) == form.preview.data


def test_posted_draft_clips_what_is_read() -> None:
    formdata = MultiDict(
        {"message": "м" * (MAX_MESSAGE_INPUT + 5), "signature": "s" * (MAX_SIGNATURE_INPUT + 5)}
    )
    draft = posted_draft(formdata)
    assert len(draft.message) == MAX_MESSAGE_INPUT
    assert len(draft.signature) == MAX_SIGNATURE_INPUT
    assert draft.recipient == ANY_RECIPIENT
