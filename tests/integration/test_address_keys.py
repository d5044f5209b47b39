"""No standing address key: keyholders' passwords open a campaign's addresses, nothing else does."""

from __future__ import annotations

import itertools
import os
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import LargeBinary, String, Text, create_engine, select, text

from cardsapp import create_app
from cardsapp.crypto import AddressBox, AddressKeyError
from cardsapp.crypto.address import is_sealed, open_address, public_key_of
from cardsapp.crypto.fernet import AddressBox as FernetBox
from cardsapp.crypto.wrapping import TEST_COST, WrappedKey, unwrap_key
from cardsapp.extensions import Base, db
from cardsapp.models import AuditEvent, CampaignKey, KeySlot, PersonalKey, Recipient, Role
from cardsapp.services.keyholders import (
    NoPersonalKey,
    NotAKeyholder,
    WrongSecret,
    grant_keyholder,
    keyholders,
    revoke_keyholder,
    unlocked_by_recovery,
    unlocked_campaign_key,
)
from tests.factories import (
    RECOVERY_CODES,
    STAFF_PASSWORD,
    fake_address,
    make_campaign,
    make_keyholder,
    make_recipient,
    make_user,
)


def _addresses(key, campaign_id: int) -> list[str]:
    tokens = db.session.scalars(
        select(Recipient.address_token).where(Recipient.campaign_id == campaign_id)
    )
    return sorted(key.open(bytes(t)).name for t in tokens)


def test_a_keyholder_opens_the_addresses_with_her_password_and_nothing_else_does(app):
    campaign = make_campaign(db.session)
    for n in range(1, 4):
        make_recipient(db.session, campaign, n)
    holder = make_keyholder(db.session, campaign)
    db.session.commit()
    with unlocked_campaign_key(db.session, campaign.id, holder, STAFF_PASSWORD) as key:
        assert _addresses(key, campaign.id) == [fake_address(n).name for n in range(1, 4)]
    with pytest.raises(AddressKeyError, match="closed"):
        key.open(db.session.scalars(select(Recipient.address_token)).first())
    with (
        pytest.raises(WrongSecret),
        unlocked_campaign_key(db.session, campaign.id, holder, "a wrong password guess"),
    ):
        pass


def test_grant_needs_a_keyholders_password_and_revoke_takes_the_key_away(app):
    campaign = make_campaign(db.session)
    make_recipient(db.session, campaign, 5)
    holder = make_keyholder(db.session, campaign)
    newcomer = make_user(db.session, Role.ADDRESSER)
    printer = make_user(db.session, Role.PRINTER)
    db.session.commit()
    with pytest.raises(NotAKeyholder):  # not granted yet
        unlocked_campaign_key(db.session, campaign.id, newcomer, STAFF_PASSWORD).__enter__()
    from cardsapp.services.keyholders import ensure_personal_key

    with unlocked_campaign_key(db.session, campaign.id, holder, STAFF_PASSWORD) as key:
        with pytest.raises(NoPersonalKey):  # she has never typed her password here yet
            grant_keyholder(db.session, key, newcomer, holder)
        ensure_personal_key(db.session, newcomer, STAFF_PASSWORD, TEST_COST)
        ensure_personal_key(db.session, printer, STAFF_PASSWORD, TEST_COST)
        grant_keyholder(db.session, key, newcomer, holder)
        with pytest.raises(NotAKeyholder):  # printers never hold address keys
            grant_keyholder(db.session, key, printer, holder)
    db.session.commit()
    assert {u.id for u in keyholders(db.session, campaign.id)} == {holder.id, newcomer.id}
    with unlocked_campaign_key(db.session, campaign.id, newcomer, STAFF_PASSWORD) as key:
        assert _addresses(key, campaign.id) == [fake_address(5).name]

    assert revoke_keyholder(db.session, campaign.id, newcomer)
    db.session.commit()
    with pytest.raises(NotAKeyholder):
        unlocked_campaign_key(db.session, campaign.id, newcomer, STAFF_PASSWORD).__enter__()


def test_rotation_reseals_every_address_and_the_old_key_opens_nothing(app, runner):
    campaign = make_campaign(db.session)
    for n in range(1, 1101):  # more than one chunk of 500
        make_recipient(db.session, campaign, n)
    holder = make_keyholder(db.session, campaign, Role.ADMIN)
    other = make_keyholder(db.session, campaign)
    db.session.commit()
    with unlocked_campaign_key(db.session, campaign.id, holder, STAFF_PASSWORD) as old:
        old_private = bytes(old.private_copy())
    old_public = public_key_of(old_private)

    result = runner.invoke(
        args=["rotate-keys", campaign.slug, "--as", holder.email], input=STAFF_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "Re-sealed 1100 addresses" in result.output
    new_code = result.output.split("never stored):")[1].split()[0]
    db.session.expire_all()
    tokens = [bytes(t) for t in db.session.scalars(select(Recipient.address_token))]
    for token in tokens[:20]:
        with pytest.raises(AddressKeyError):
            open_address(old_public, old_private, token)
    # Every keyholder still opens them (her slot was made again for the new key), and the new
    # recovery code works while the old one does not.
    with unlocked_campaign_key(db.session, campaign.id, other, STAFF_PASSWORD) as key:
        assert len(set(_addresses(key, campaign.id))) == 1100
    with unlocked_by_recovery(db.session, campaign.id, new_code) as key:
        assert key.open(tokens[0]).name.startswith("Testa Recipientova")
    with pytest.raises(WrongSecret):
        unlocked_by_recovery(db.session, campaign.id, RECOVERY_CODES[campaign.id]).__enter__()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys_rotated"))
    assert events.one().detail["count"] == 1100


def test_the_recovery_code_gives_the_key_to_someone_when_every_keyholder_is_gone(app, runner):
    campaign = make_campaign(db.session)
    make_recipient(db.session, campaign, 9)
    rescuer = make_user(db.session, Role.ADMIN)
    from cardsapp.services.keyholders import ensure_personal_key

    ensure_personal_key(db.session, rescuer, STAFF_PASSWORD, TEST_COST)
    db.session.commit()
    assert keyholders(db.session, campaign.id) == []
    wrong = runner.invoke(
        args=["keys", "recover", campaign.slug, "--to", rescuer.email], input="AAAA-BBBB\n"
    )
    assert wrong.exit_code != 0
    code = RECOVERY_CODES[campaign.id].lower().replace("-", " ")
    result = runner.invoke(
        args=["keys", "recover", campaign.slug, "--to", rescuer.email], input=code + "\n"
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    with unlocked_campaign_key(db.session, campaign.id, rescuer, STAFF_PASSWORD) as key:
        assert _addresses(key, campaign.id) == [fake_address(9).name]


def test_keys_commands_set_up_grant_list_and_revoke(app, runner):
    campaign = make_campaign(db.session, keyed=False)
    admin = make_user(db.session, Role.ADMIN, email="admin@example.org")
    addresser = make_user(db.session, Role.ADDRESSER, email="addresser@example.org")
    from cardsapp.services.keyholders import ensure_personal_key

    for user in (admin, addresser):
        ensure_personal_key(db.session, user, STAFF_PASSWORD, TEST_COST)
    db.session.commit()
    refused = runner.invoke(args=["import-recipients", "/dev/null", "--campaign", campaign.slug])
    assert refused.exit_code != 0
    setup = runner.invoke(args=["keys", "setup", campaign.slug, "--holder", admin.email])
    assert setup.exit_code == 0, setup.output and "Recovery code" in setup.output
    granted = runner.invoke(
        args=["keys", "grant", campaign.slug, addresser.email, "--as", admin.email],
        input=STAFF_PASSWORD + "\n",
    )
    assert granted.exit_code == 0, granted.output
    listed = runner.invoke(args=["keys", "list", campaign.slug])
    assert listed.output.split() == [addresser.email, admin.email]
    revoked = runner.invoke(args=["keys", "revoke", campaign.slug, addresser.email])
    assert revoked.exit_code == 0 and "Rotate it" in revoked.output
    assert runner.invoke(args=["keys", "list", campaign.slug]).output.split() == [admin.email]
    bad_grant = runner.invoke(
        args=["keys", "grant", campaign.slug, addresser.email, "--as", admin.email],
        input="a wrong password guess\n",
    )
    assert bad_grant.exit_code != 0


def _every_stored_value(url: str) -> list[bytes]:
    """Every non-empty text or binary value in every table of a database copy."""
    engine = create_engine(url)
    values: list[bytes] = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, LargeBinary | String | Text)]
            for column in columns:
                query = text(f'SELECT "{column.name}" FROM "{table.name}"')
                for (value,) in connection.execute(query):
                    if value:
                        values.append(value.encode() if isinstance(value, str) else bytes(value))
    engine.dispose()
    return values


def test_a_database_copy_with_the_whole_environment_opens_no_address(app, config):
    campaign = make_campaign(db.session)
    for n in range(1, 4):
        make_recipient(db.session, campaign, n)
    make_keyholder(db.session, campaign, Role.ADMIN)
    make_keyholder(db.session, campaign)
    db.session.commit()
    tokens = [bytes(t) for t in db.session.scalars(select(Recipient.address_token))]
    assert all(is_sealed(t) for t in tokens)
    public = bytes(db.session.get(CampaignKey, campaign.id).public_key)

    # Every secret a seizure gets: every stored value, the process environment, the config,
    # and every file in the instance folder.
    stored = _every_stored_value(config.database_url)
    environment = [v.encode() for v in os.environ.values() if v]
    settings = [str(v).encode() for v in vars(config).values() if v]
    files = [p.read_bytes() for p in Path(config.instance_path).rglob("*") if p.is_file()]
    secrets = {s for s in stored + environment + settings + files if s}
    candidates = set()
    for secret in secrets:
        candidates.add(secret)
        for start in range(0, max(1, len(secret) - 31)):  # every 32-byte window
            candidates.add(secret[start : start + 32])
    opened = 0
    for candidate in candidates:
        if len(candidate) != 32:
            continue
        for token in tokens:
            try:
                open_address(public, candidate, token)
                opened += 1
            except AddressKeyError:
                pass
    # Wrapped keys: every stored value and environment value tried as a password.
    wrapped = [
        (
            WrappedKey(bytes(k.salt), bytes(k.wrapped_key), k.time_cost, k.memory_kib),
            f"user:{k.user_id}",
        )
        for k in db.session.scalars(select(PersonalKey))
    ] + [
        (
            WrappedKey(bytes(s.salt), bytes(s.sealed_key), s.time_cost, s.memory_kib),
            f"recovery:{s.campaign_id}",
        )
        for s in db.session.scalars(select(KeySlot).where(KeySlot.user_id.is_(None)))
    ]
    passwords = [s.decode(errors="ignore") for s in secrets if len(s) < 200] + [config.secret_key]
    for (key, label), password in itertools.product(wrapped, passwords):
        try:
            unwrap_key(key, password, label)
            opened += 1
        except WrongSecret:
            pass
    assert opened == 0
    # Nothing in the copy is a Fernet key either, and the environment holds none.
    for secret in secrets:
        try:
            FernetBox([secret.decode()]).open(tokens[0])
            opened += 1
        except (AddressKeyError, UnicodeDecodeError):
            pass
    assert opened == 0 and config.address_keys == []


def test_old_fernet_addresses_migrate_to_campaign_keys_and_the_old_key_can_go(app, config, runner):
    old_key = Fernet.generate_key().decode()
    box = AddressBox([old_key])
    keyed = make_campaign(db.session)
    unkeyed = make_campaign(db.session, keyed=False)
    admin = make_keyholder(db.session, keyed, Role.ADMIN)
    for n, campaign in zip(range(1, 7), itertools.cycle([keyed, unkeyed]), strict=False):
        db.session.add(
            Recipient(
                campaign_id=campaign.id,
                public_label=f"Old mother {n}",
                address_token=box.seal(fake_address(n)),
            )
        )
    make_recipient(db.session, keyed, 50)  # already sealed: left as it is
    db.session.commit()

    without_old_key = runner.invoke(
        args=["migrate-addresses", "--as", admin.email], input=STAFF_PASSWORD + "\n"
    )
    assert without_old_key.exit_code != 0 and "CARDS_ADDRESS_KEYS" in without_old_key.output
    migrating = create_app(replace(config, address_keys=[old_key]))
    with migrating.app_context():
        result = migrating.test_cli_runner().invoke(
            args=["migrate-addresses", "--as", admin.email], input=STAFF_PASSWORD + "\n"
        )
    assert result.exit_code == 0, result.output
    assert "Migrated 6 addresses; 0 left" in result.output
    assert f"Recovery code for campaign {unkeyed.slug}" in result.output
    db.session.expire_all()
    tokens = [bytes(t) for t in db.session.scalars(select(Recipient.address_token))]
    assert all(is_sealed(t) for t in tokens)
    for campaign, expected in ((keyed, [1, 3, 5, 50]), (unkeyed, [2, 4, 6])):
        with unlocked_campaign_key(db.session, campaign.id, admin, STAFF_PASSWORD) as key:
            assert _addresses(key, campaign.id) == sorted(fake_address(n).name for n in expected)
    for token in tokens:
        with pytest.raises(AddressKeyError):
            box.open(token)


def test_production_starts_with_only_database_redis_and_secret_key(
    monkeypatch, tmp_path, database_url, redis_url
):
    for name in list(os.environ):
        if name.startswith("CARDS_") or name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CARDS_ENV", "production")
    monkeypatch.setenv("CARDS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SECRET_KEY", "q7Vw-2xLp9ZrT4mKc8NbY3hJd6FgS1aE")
    app = create_app()
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/login").status_code == 200
    assert "cardsapp.addresses" not in app.extensions


def test_an_admin_sets_up_gives_takes_away_rotates_and_recovers_the_key_on_the_keys_page(
    app, client
):
    from tests.factories import log_in, staff_csrf_token

    campaign = make_campaign(db.session, keyed=False)
    admin = make_user(db.session, Role.ADMIN, email="admin@example.org")
    addresser = make_user(db.session, Role.ADDRESSER, email="addresser@example.org")
    db.session.commit()
    log_in(app.test_client(), addresser.email)  # her first login makes her personal key
    log_in(client, admin.email)
    url = f"/admin/keys?campaign={campaign.slug}"
    assert "no address key yet" in client.get(url).get_data(as_text=True)

    made = client.post(
        f"/admin/keys/setup?campaign={campaign.slug}", data={"csrf_token": staff_csrf_token(client)}
    )
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    code = made.get_data(as_text=True).split("<code>")[1].split("</code>")[0]
    with client.session_transaction() as sess:
        assert code not in repr(dict(sess))  # shown once, never kept in the session

    def post(path: str, **data: object):
        return client.post(
            f"/admin/keys/{path}?campaign={campaign.slug}",
            data={**data, "csrf_token": staff_csrf_token(client)},
        )

    assert post("grant", user_id=addresser.id, password="a wrong password guess").status_code == 403
    assert post("grant", user_id=addresser.id, password=STAFF_PASSWORD).status_code == 302
    assert [u.email for u in keyholders(db.session, campaign.id)] == [addresser.email, admin.email]
    assert post(f"revoke/{addresser.id}").status_code == 302
    assert post(f"revoke/{admin.id}").status_code == 302
    assert keyholders(db.session, campaign.id) == []
    assert post("recover", recovery_code="WRONG-CODE").status_code == 403
    assert post("recover", recovery_code=code).status_code == 302
    rotated = post("rotate", password=STAFF_PASSWORD)
    assert rotated.status_code == 200
    new_code = rotated.get_data(as_text=True).split("<code>")[1].split("</code>")[0]
    assert new_code != code
    db.session.expire_all()
    with pytest.raises(WrongSecret):
        unlocked_by_recovery(db.session, campaign.id, code).__enter__()
    actions = db.session.scalars(select(AuditEvent.action)).all()
    for action in ("keys_set_up", "key_granted", "key_revoked", "key_recovered", "keys_rotated"):
        assert action in actions


def test_donor_processes_serve_donor_pages_and_nothing_of_staff_or_addresses(config):
    import subprocess
    import sys

    donors = create_app(config, audience="public")
    client = donors.test_client()
    with donors.app_context():
        make_campaign(db.session)
        db.session.commit()
    assert client.get("/").status_code == 200
    assert client.get("/write").status_code == 200
    assert client.get("/api/counter").status_code == 200
    for path in (
        "/login",
        "/admin",
        "/admin/keys",
        "/moderate",
        "/batches",
        "/batches/X/labels.pdf",
    ):
        assert client.get(path).status_code == 404, path
    blueprints = set(donors.blueprints)
    assert blueprints <= {"donate", "api"}, blueprints
    # Not even imported: no staff page or address-opening view is in a donor process.
    probe = (
        "import sys; from cardsapp import create_app; from cardsapp.config import config_for_tests;"
        "import pathlib, tempfile; t = pathlib.Path(tempfile.mkdtemp());"
        f"create_app(config_for_tests({config.database_url!r}, {config.redis_url!r}, t), "
        "audience='public');"
        "print(sorted(m for m in sys.modules if m.startswith('cardsapp.')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = done.stdout
    for module in (
        "cardsapp.web.batches",
        "cardsapp.web.admin",
        "cardsapp.web.keys",
        "cardsapp.web.auth",
    ):
        assert f"'{module}'" not in loaded, module
    with pytest.raises(ValueError):
        create_app(config, audience="staff-and-donors")
