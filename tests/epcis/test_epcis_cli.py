"""``traceapp epcis import FILE`` and ``traceapp epcis export [-o FILE] [filters]``."""

from __future__ import annotations

import json
from pathlib import Path

from flask.testing import FlaskCliRunner
from support.scenario import Scenario

from traceapp.db.sessions import Database
from traceapp.epcis.schema import iter_events, validate_document
from traceapp.events.models import Event
from traceapp.ledger_store.models import LedgerEntry

GS1_EXAMPLES = Path(__file__).parent.parent / "fixtures" / "epcis" / "examples"
EXAMPLE = GS1_EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld"


def test_import_then_export_to_a_file(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["epcis", "import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "2 events: 2 recorded" in result.output
    assert "warning: /epcisBody/eventList/0/eventID" in result.output
    again = runner.invoke(args=["epcis", "import", str(EXAMPLE)])
    assert again.exit_code == 0 and "2 already recorded" in again.output
    out = tmp_path / "events.jsonld"
    exported = runner.invoke(args=["epcis", "export", "-o", str(out), "--biz-step", "receiving"])
    assert exported.exit_code == 0, exported.output
    document = json.loads(out.read_text(encoding="utf-8"))
    validate_document(document)
    events = list(iter_events(document))
    assert [e["bizStep"] for e in events] == ["receiving"]


def test_import_signs_with_the_producers_key(
    runner: FlaskCliRunner, database: Database, scenario: Scenario
) -> None:
    result = runner.invoke(args=["epcis", "import", str(EXAMPLE), "--producer", scenario.producer])
    assert result.exit_code == 0, result.output
    with database.read_sessions() as session:
        seq = max(session.query(Event.ledger_seq).all())[0]
        entry = session.query(LedgerEntry).filter(LedgerEntry.seq == seq).one()
    assert entry.actor == scenario.producer_key
    unknown = runner.invoke(args=["epcis", "import", str(EXAMPLE), "--producer", "pro_nobody"])
    assert unknown.exit_code == 2


def test_a_refused_document_exits_1_and_records_nothing(
    runner: FlaskCliRunner, database: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonld"
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    document["epcisBody"]["eventList"][1]["eventTimeZoneOffset"] = "+25:00"
    bad.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["epcis", "import", str(bad)])
    assert result.exit_code == 1
    assert "/epcisBody/eventList/1/eventTimeZoneOffset" in result.output
    with database.read_sessions() as session:
        assert session.query(Event).count() == 0


def test_export_to_stdout_with_filters(runner: FlaskCliRunner, scenario: Scenario) -> None:
    result = runner.invoke(
        args=[
            "epcis",
            "export",
            "--event-type",
            "ObjectEvent",
            "--ge-event-time",
            "2026-11-03T00:00:00+07:00",
        ]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    validate_document(document)
    assert len(list(iter_events(document))) == 2
    bad = runner.invoke(args=["epcis", "export", "--param", "EQ_quantity=3"])
    assert bad.exit_code == 2
