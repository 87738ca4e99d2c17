"""engine.receipts: the documents the desk received, kept in the dossier's event log."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.receipts import ReceivedDocument, documents_of, record_documents


def test_record_and_read_documents(engine, world, deployed):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": "A"})
    assert documents_of(engine, dossier.code) == []
    given = [ReceivedDocument("  Tờ   khai ", 1, 0), ReceivedDocument("", 1, 1), ReceivedDocument("CCCD", 0, 2)]
    record_documents(engine, world["clerk2"], dossier.code, given)
    assert documents_of(engine, dossier.code) == [ReceivedDocument("Tờ khai", 1, 0), ReceivedDocument("CCCD", 0, 2)]
    assert any(e.action == "dossier.documents" for e in engine.dossier(dossier.code).events)


def test_only_the_receiving_desk_records(engine, world, deployed):
    dossier = engine.start_dossier(world["clerk"], deployed, {"name": "A"})
    with pytest.raises(PermissionDenied):
        record_documents(engine, world["officer"], dossier.code, [ReceivedDocument("X")])
    with pytest.raises(NotFound):
        record_documents(engine, world["clerk"], "KHONG-CO", [ReceivedDocument("X")])
    with pytest.raises(InvalidInput):
        record_documents(engine, world["clerk"], dossier.code, [ReceivedDocument("X", 100)])
