"""Oversized bodies and forms are refused before they cost memory."""

import pytest


@pytest.mark.parametrize("path", ["/write", "/login", "/preview"])
def test_a_ten_megabyte_body_gets_413(client, path):
    body = b"message=" + b"a" * (10 * 1024 * 1024)
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/write", "/login"])
def test_a_form_with_five_thousand_fields_gets_413(client, path):
    body = "&".join(f"f{i}=x" for i in range(5000)).encode()
    response = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_the_413_page_explains_itself_in_the_users_language(client):
    response = client.post(
        "/login",
        data=b"x=" + b"a" * (2 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
        headers={"Accept-Language": "ru"},
    )
    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True)


def test_refusing_big_bodies_does_not_grow_the_process(client):
    import gc

    import psutil

    body = b"message=" + b"a" * (10 * 1024 * 1024)
    process = psutil.Process()
    client.post("/write", data=body, content_type="application/x-www-form-urlencoded")
    gc.collect()
    before = process.memory_info().rss
    for _ in range(30):
        response = client.post(
            "/write", data=body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 413
    gc.collect()
    grown_mb = (process.memory_info().rss - before) / 2**20
    # Thirty 10 MB bodies read into memory would be 300 MB; refused unread, nothing stays.
    assert grown_mb < 20, grown_mb
