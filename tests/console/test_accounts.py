"""The accounts domain's own rules: passwords, who may invite whom, the member's ledger writes,
and the ``accounts create-admin`` command."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from traceapp.accounts.errors import MayNotInvite, PasswordRefused
from traceapp.accounts.models import (
    OFFICE_ADMIN,
    PRODUCER_OWNER,
    PRODUCER_STAFF,
    Account,
)
from traceapp.accounts.passwords import (
    MIN_LENGTH,
    check_password,
    common_passwords,
    hash_password,
    verify_password,
)
from traceapp.accounts.services import (
    PersonInput,
    accept_invitation,
    create_account,
    invite,
    member_write_request,
)
from traceapp.auth.services import create_token
from traceapp.db.sessions import Database
from traceapp.ledger_store.models import LedgerEntry
from traceapp.ledger_store.service import perform
from traceapp.ledger_store.writer import Ledger
from traceapp.locations.services import LocationInput, plan_register_location

from .conftest import People


@pytest.mark.parametrize(
    "password, code",
    [
        ("short9!", "PASSWORD_SHORT"),
        ("x" * 257, "PASSWORD_LONG"),
        ("1234567890", "PASSWORD_COMMON"),
        ("Password123", "PASSWORD_COMMON"),  # the list is lowercase; so is the comparison
        ("qwertyuiop", "PASSWORD_COMMON"),
    ],
)
def test_weak_passwords_are_refused(password: str, code: str) -> None:
    with pytest.raises(PasswordRefused) as refused:
        check_password(password)
    assert refused.value.code == code and refused.value.field == "password"


def test_good_passwords_hash_with_argon2id() -> None:
    assert len(common_passwords()) > 19_000
    check_password("chè shan tuyết bản mế")
    stored = hash_password("chè shan tuyết bản mế")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "chè shan tuyết bản mế")
    assert not verify_password(stored, "chè shan tuyết bản me")
    assert len("a" * MIN_LENGTH) == MIN_LENGTH


def test_who_may_invite_whom(database: Database, people: People) -> None:
    with database.write() as s:
        admin = s.get(Account, people.admin.id)
        assert admin is not None
        _, token = invite(s, admin, PRODUCER_OWNER, people.producer_a)
        owner = accept_invitation(
            s, token, PersonInput("Nguyễn Văn Hùng", "hung@example.vn", None, "chè shan tuyết")
        )
        with pytest.raises(MayNotInvite):
            invite(s, admin, PRODUCER_STAFF, people.producer_a)  # the office invites owners
        _, staff_token = invite(s, owner, PRODUCER_STAFF, people.producer_b)
        staff = accept_invitation(
            s, staff_token, PersonInput("Lò Thị Mai", None, "0912000111", "nhân viên đóng gói")
        )
        # An owner's invitation is always for its own producer, whatever it names.
        assert staff.producer_public_id == people.producer_a
        for role in (PRODUCER_STAFF, PRODUCER_OWNER, OFFICE_ADMIN):
            with pytest.raises(MayNotInvite):
                invite(s, staff, role, people.producer_a)
        with pytest.raises(MayNotInvite):
            invite(s, owner, PRODUCER_OWNER, people.producer_a)


def test_a_member_signs_with_the_producers_key_and_is_named_by_pseudonym(
    database: Database, ledger: Ledger, people: People, runner: FlaskCliRunner
) -> None:
    with database.write() as s:
        owner = create_account(
            s,
            PRODUCER_OWNER,
            people.producer_a,
            PersonInput("Nguyễn Văn Hùng", "hung@example.vn", "0912345678", "chè shan tuyết"),
        )
        request = member_write_request(s, owner, "console-1")
        token, _ = create_token(s, "producer", people.producer_a)
        # One rule picks the key for a token and for a member.
        assert request.actor == token.key_name
        data = LocationInput(people.producer_a, "XUONG-2", "Xưởng sao chè 2", "facility")
        receipt = perform(
            s,
            ledger,
            request,
            lambda: plan_register_location(s, ledger, request, data),
            op={"op": "register_location", **data.__dict__},
        )
        entry = s.execute(
            select(LedgerEntry.entry).where(LedgerEntry.seq == receipt.ledger_index)
        ).scalar_one()
        member_id = owner.member_id
    body = json.loads(entry)
    assert body["actor"] == request.actor
    assert body["statement"]["member"] == member_id and member_id.startswith("mbr_")
    for personal in (b"hung@example.vn", "Nguyễn Văn Hùng".encode(), b"0912345678"):
        assert personal not in entry
    with database.write() as s:
        again = perform(
            s,
            ledger,
            request,
            lambda: plan_register_location(s, ledger, request, data),
            op={"op": "register_location", **data.__dict__},
        )
    assert again.replayed and again.ledger_index == receipt.ledger_index
    # The log with a member field verifies, and its projections replay to the same rows.
    checked = runner.invoke(args=["ledger", "verify", "--deep"])
    assert checked.exit_code == 0, checked.output


def test_create_admin_command(runner: FlaskCliRunner, database: Database) -> None:
    result = runner.invoke(
        args=[
            "accounts",
            "create-admin",
            "--email",
            "Admin@Ocop.example.vn",
            "--name",
            "Lan",
            "--password-stdin",
        ],
        input="một mật khẩu đủ dài\n",
    )
    assert result.exit_code == 0, result.output
    assert "office admin acc_" in result.output
    with database.read_sessions() as s:
        admin = s.execute(select(Account)).scalar_one()
    assert admin.role == OFFICE_ADMIN and admin.login == "admin@ocop.example.vn"
    weak = runner.invoke(
        args=[
            "accounts",
            "create-admin",
            "--email",
            "b@ocop.example.vn",
            "--name",
            "B",
            "--password-stdin",
        ],
        input="password1\n",
    )
    assert weak.exit_code == 2 and "password" in weak.output
