"""`ledger verify --deep` against the personal data kept off the ledger (principle 5).

Erasure (`traceapp privacy erase`) clears a field's value and salt and keeps its row and
digest: that passes. Anything else that breaks the link between the row and the salted hash
the ledger holds is named.
"""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlalchemy import delete, update
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.producers.models import PersonalData


def _verify_deep(runner: FlaskCliRunner) -> tuple[int, str]:
    result = runner.invoke(args=["ledger", "verify", "--deep"])
    return result.exit_code, result.output


def test_erased_personal_data_passes(runner: FlaskCliRunner, populated: Scenario) -> None:
    erased = runner.invoke(args=["privacy", "erase", populated.producer])
    assert erased.exit_code == 0 and "erased 2 personal field(s)" in erased.output
    code, output = _verify_deep(runner)
    assert code == 0, output


def test_a_deleted_personal_data_row_is_named(
    runner: FlaskCliRunner, database: Database, populated: Scenario
) -> None:
    with database.write() as s:
        s.execute(
            delete(PersonalData).where(
                PersonalData.producer_public_id == populated.producer,
                PersonalData.field == "phone",
            )
        )
    code, output = _verify_deep(runner)
    assert code == 1
    assert f"personal_data ('{populated.producer}', 'phone'): missing" in output


def test_a_deleted_row_of_an_erased_field_is_named(
    runner: FlaskCliRunner, database: Database, populated: Scenario
) -> None:
    assert runner.invoke(args=["privacy", "erase", populated.producer]).exit_code == 0
    with database.write() as s:
        s.execute(delete(PersonalData).where(PersonalData.field == "owner_name"))
    code, output = _verify_deep(runner)
    assert code == 1
    assert f"personal_data ('{populated.producer}', 'owner_name'): missing" in output


def test_a_replaced_value_with_its_salt_cleared_is_named(
    runner: FlaskCliRunner, database: Database, populated: Scenario
) -> None:
    with database.write() as s:
        s.execute(
            update(PersonalData)
            .where(
                PersonalData.producer_public_id == populated.producer,
                PersonalData.field == "phone",
            )
            .values(value="0987654321", salt=None)
        )
    code, output = _verify_deep(runner)
    assert code == 1
    assert f"personal_data ('{populated.producer}', 'phone') column salt: NULL" in output


def test_a_salt_without_its_value_is_named(
    runner: FlaskCliRunner, database: Database, populated: Scenario
) -> None:
    with database.write() as s:
        s.execute(update(PersonalData).where(PersonalData.field == "phone").values(value=None))
    code, output = _verify_deep(runner)
    assert code == 1
    assert f"personal_data ('{populated.producer}', 'phone') column value: NULL" in output
