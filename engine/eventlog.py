"""A procedure's event log for process-mining tools: IEEE 1849 XES, or CSV with the same columns.

One trace per dossier received in the period (its code, the procedure, the receipt date and status);
per pass of a step a ``start`` event (its claim; its completion when it was never claimed) and a
``complete`` event, each with the step's name as activity, the agency's code as resource, the lane as
group and the time with its offset. Nothing about the applicant leaves: no name, number, address or
form data. Written row by row, so memory does not grow with the log.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, NamedTuple
from xml.sax.saxutils import quoteattr

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import models
from engine.calendar import WorkingCalendar
from engine.errors import NotFound
from engine.review_history import period_bounds

FORMATS = ("xes", "csv")
CSV_COLUMNS = ("case:concept:name", "concept:name", "lifecycle:transition", "time:timestamp", "org:resource",
               "org:group", "lienthong:element")
BATCH = 2000


class LogEvent(NamedTuple):
    case: str
    activity: str
    transition: str
    timestamp: str
    resource: str
    group: str
    element: str


class Trace(NamedTuple):
    code: str
    received: str
    status: str
    events: list[LogEvent]


def traces(session: Session, calendar: WorkingCalendar, procedure: str, date_from: date,
           date_to: date) -> Iterator[Trace]:
    """The period's dossiers of the procedure with their step events, in order of receipt."""
    if session.scalar(select(models.DefinitionVersion.id)
                      .where(models.DefinitionVersion.procedure_code == procedure).limit(1)) is None:
        raise NotFound(f"Không có thủ tục mã {procedure}.")
    start, end = period_bounds(calendar, date_from, date_to)
    D, S, A = models.Dossier, models.Step, models.Agency
    rows = session.execute(
        select(D.code, D.received_at, D.status, S.name, S.element_id, S.lane, A.code, S.claimed_at, S.completed_at,
               S.state)
        .join(S, S.dossier_id == D.id).join(A, A.id == S.agency_id)
        .where(D.procedure_code == procedure, D.received_at >= start, D.received_at < end)
        .order_by(D.received_at, D.id, S.ready_at, S.id)
        .execution_options(yield_per=BATCH))

    def stamp(value: datetime) -> str:
        return calendar.localize(value).isoformat(timespec="milliseconds")

    current: Trace | None = None
    for code, received, status, name, element, lane, agency, claimed, completed, state in rows:
        if current is None or current.code != code:
            if current is not None:
                yield current
            current = Trace(code, calendar.localize(received).date().isoformat(), status, [])
        if state == "cancelled":
            continue
        began = claimed or completed
        if began is not None:
            current.events.append(LogEvent(code, name, "start", stamp(began), agency, lane, element))
        if completed is not None:
            current.events.append(LogEvent(code, name, "complete", stamp(completed), agency, lane, element))
    if current is not None:
        yield current


def write_xes(out: IO[str], procedure: str, source: Iterator[Trace]) -> int:
    """Write an XES 1849-2016 log; returns the number of traces."""
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">\n'
              '  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
              '  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>\n'
              '  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
              '  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n'
              '  <global scope="trace"><string key="concept:name" value="?"/></global>\n'
              '  <global scope="event"><string key="concept:name" value="?"/>'
              '<string key="lifecycle:transition" value="complete"/>'
              '<date key="time:timestamp" value="1970-01-01T00:00:00.000+00:00"/></global>\n'
              '  <classifier name="Activity" keys="concept:name"/>\n'
              '  <classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>\n'
              f'  <string key="concept:name" value={quoteattr(procedure)}/>\n')
    count = 0
    for trace in source:
        count += 1
        out.write(f'  <trace><string key="concept:name" value={quoteattr(trace.code)}/>'
                  f'<string key="lienthong:procedure" value={quoteattr(procedure)}/>'
                  f'<string key="lienthong:received" value={quoteattr(trace.received)}/>'
                  f'<string key="lienthong:status" value={quoteattr(trace.status)}/>\n')
        for ev in trace.events:
            out.write(f'    <event><string key="concept:name" value={quoteattr(ev.activity)}/>'
                      f'<string key="lifecycle:transition" value="{ev.transition}"/>'
                      f'<date key="time:timestamp" value="{ev.timestamp}"/>'
                      f'<string key="org:resource" value={quoteattr(ev.resource)}/>'
                      f'<string key="org:group" value={quoteattr(ev.group)}/>'
                      f'<string key="lienthong:element" value={quoteattr(ev.element)}/></event>\n')
        out.write("  </trace>\n")
    out.write("</log>\n")
    return count


def write_csv(out: IO[str], source: Iterator[Trace]) -> int:
    """Write one row per event with the XES attribute names as columns; returns the number of traces."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for trace in source:
        count += 1
        writer.writerows(trace.events)
    return count
