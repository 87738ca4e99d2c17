"""The `lienthong` command line; every command takes the database from DATABASE_URL."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click

from engine import accounts, db, outbox
from engine.cli_common import fail, open_engine, settings
from engine.errors import DefinitionError, LienThongError

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = REPO_ROOT / "workflows"


_settings = settings
_engine = open_engine
_fail = fail


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """LienThong: inter-agency administrative procedures (thủ tục hành chính liên thông)."""


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    url = _settings().database_url
    db.upgrade(url)
    _sync_calendar_decisions()
    click.echo(f"Cơ sở dữ liệu đã sẵn sàng: {db.make_engine(url).url.render_as_string(hide_password=True)}")


def _sync_calendar_decisions() -> None:
    """Write the shipped calendar decisions (workflows/calendar) into the database; idempotent."""
    from engine.calendar_decisions import sync_shipped

    eng = _engine()
    try:
        changed = sync_shipped(eng)
    finally:
        eng.close()
    if changed:
        click.echo(f"Đã cập nhật {changed} quyết định về lịch nghỉ, ngày làm bù.")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check BPMN files; one line per problem: FILE:LINE: ERROR|WARNING [ELEMENT] message."""
    from engine.validation import validate_bpmn

    agencies = _known_agencies()
    failed = False
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            click.echo(f"{path}:0: ERROR không đọc được tệp: {exc.strerror or exc}")
            failed = True
            continue
        try:
            problems = validate_bpmn(data, agencies, file=str(path))
        except Exception as exc:  # a validator bug must still print one line, never a traceback
            click.echo(f"{path}:0: ERROR lỗi nội bộ khi kiểm tra: {type(exc).__name__}: {exc}")
            failed = True
            continue
        for problem in problems:
            click.echo(problem.format(str(path)))
        failed = failed or any(p.is_error for p in problems)
    sys.exit(1 if failed else 0)


def _known_agencies() -> list[Any]:
    """Agencies from the database when it has some, else from workflows/agencies.toml."""
    from engine.validation import AgencyRef, lane_refs

    try:
        from engine.runtime import Engine

        eng = Engine(settings=_settings())
        try:
            found = lane_refs(eng.directory(fresh=True))
        finally:
            eng.close()
        if found:
            return found
    except Exception:  # noqa: S110 - no database yet: fall back to the registry file
        pass
    from engine.catalog import KindRecord, lane_records

    registry = WORKFLOWS_DIR / "agencies.toml"
    if registry.exists():
        return [AgencyRef(a.code, a.name, isinstance(a, KindRecord)) for a in lane_records(registry)]
    return []


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--decision", default="", help="Số quyết định phê duyệt quy trình")
def deploy(files: tuple[Path, ...], decision: str) -> None:
    """Publish BPMN files as new procedure versions (unchanged files keep their version)."""
    from engine.validation import validate_bpmn

    eng = _engine()
    agencies = _known_agencies()
    failed = False
    for path in files:
        try:
            meta = _metadata_for(path)
            for problem in validate_bpmn(path.read_bytes(), agencies, file=str(path)):
                if not problem.is_error:  # the errors come with the refusal below, once
                    click.echo(problem.format(str(path)))
            result = eng.deploy(path.read_bytes(), filename=path.name, decision_number=decision, metadata=meta)
        except DefinitionError as exc:
            for problem in exc.problems:
                click.echo(problem.format(str(path)))
            failed = True
            continue
        except LienThongError as exc:
            click.echo(f"{path}:0: ERROR {exc}")
            failed = True
            continue
        state = "phiên bản mới" if result.created else "không đổi"
        click.echo(f"{path}: {result.code} v{result.version} ({state})")
    eng.close()
    sys.exit(1 if failed else 0)


def _metadata_for(path: Path) -> dict[str, Any]:
    toml_path = path.with_suffix(".toml")
    if not toml_path.exists():
        return {}
    import tomllib

    with toml_path.open("rb") as fh:
        return tomllib.load(fh)


@main.group()
def agency() -> None:
    """Agencies (cơ quan): add and list."""


@agency.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--parent", default=None)
@click.option("--level", default="province", type=click.Choice(accounts.LEVELS))
@click.option("--address", default="")
@click.option("--phone", default="")
@click.option("--kind", default=None, help="Agency kind (lienthong kind list)")
@click.option("--unit", default=None, help="Administrative unit it serves (lienthong unit list)")
def agency_add(code: str, name: str, parent: str | None, level: str, address: str, phone: str,
               kind: str | None, unit: str | None) -> None:
    """Add an agency."""
    eng = _engine()
    try:
        with eng.transaction() as session:
            info = accounts.add_agency(session, code, name, parent=parent, level=level, address=address,
                                       phone=phone, now=eng.now(), kind=kind, admin_unit=unit)
    except LienThongError as exc:
        _fail(str(exc))
    click.echo(f"Đã thêm cơ quan {info.code}: {info.name}")


@agency.command("list")
def agency_list() -> None:
    """List agencies."""
    eng = _engine()
    with eng.Session() as session:
        for a in accounts.list_agencies(session):
            ended = f"\tgiải thể {a.valid_to:%d/%m/%Y} → {a.successor_code}" if a.valid_to else ""
            click.echo(f"{a.code}\t{a.name}\t{a.parent_code or '-'}\t{a.level}\t{a.kind_code or '-'}"
                       f"\t{a.admin_unit or '-'}{ended}")


@main.group()
def user() -> None:
    """Officials (cán bộ): add, list, deactivate, activate, roles, password."""


@user.command("add")
@click.argument("username")
@click.option("--agency", "agency_code", required=True)
@click.option("--role", "roles", required=True, multiple=True,
              help="clerk, officer, leader, designer, admin (repeat or comma-separate)")
@click.option("--name", "full_name", default="")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input")
def user_add(username: str, agency_code: str, roles: tuple[str, ...], full_name: str, password_stdin: bool) -> None:
    """Add an official; the password is read from standard input, never from arguments."""
    password = sys.stdin.readline().rstrip("\r\n")
    eng = _engine()
    try:
        with eng.transaction() as session:
            actor = accounts.add_official(session, username, full_name=full_name or username,
                                          agency_code=agency_code, roles=",".join(roles), password=password,
                                          now=eng.now())
    except LienThongError as exc:
        _fail(str(exc))
    click.echo(f"Đã thêm cán bộ {actor.username} ({', '.join(sorted(actor.roles))}) - {actor.agency_code}")


@user.command("list")
@click.option("--agency", "agency_code", default=None, help="Only the officials of this agency (code)")
def user_list(agency_code: str | None) -> None:
    """List officials: username, full name, agency, roles, and "inactive" for deactivated ones."""
    eng = _engine()
    try:
        with eng.Session() as session:
            if agency_code:
                accounts.get_agency(session, agency_code)  # an unknown agency is an error, not an empty list
            officials = accounts.list_officials(session, agency_code)
    except LienThongError as exc:
        _fail(str(exc))
    finally:
        eng.close()
    for o in officials:
        fields = [o.username, o.full_name, o.agency_code, ",".join(sorted(o.roles))]
        if not o.active:
            fields.append("inactive")
        click.echo("\t".join(fields))


def _update_official(username: str, **changes: Any) -> Any:
    """accounts.update_official in one transaction; an error prints one line and exits 1, changing nothing."""
    eng = _engine()
    try:
        with eng.transaction() as session:
            return accounts.update_official(session, username, now=eng.now(), **changes)
    except LienThongError as exc:
        _fail(str(exc))
    finally:
        eng.close()


@user.command("deactivate")
@click.argument("username")
def user_deactivate(username: str) -> None:
    """Deactivate an official: no more logins, API tokens revoked, claimed steps back to the agency's queue."""
    found = _update_official(username, active=False)
    click.echo(f"Đã khoá tài khoản cán bộ {found.username}")


@user.command("activate")
@click.argument("username")
def user_activate(username: str) -> None:
    """Reactivate a deactivated official."""
    found = _update_official(username, active=True)
    click.echo(f"Đã mở lại tài khoản cán bộ {found.username}")


@user.command("roles")
@click.argument("username")
@click.argument("roles", nargs=-1, required=True, metavar="ROLE[,ROLE...]")
def user_roles(username: str, roles: tuple[str, ...]) -> None:
    """Set an official's roles: ROLE[,ROLE...] from clerk, officer, leader, designer, admin."""
    found = _update_official(username, roles=",".join(roles))
    click.echo(f"Vai trò của cán bộ {found.username}: {', '.join(sorted(found.roles))}")


@user.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input")
def user_password(username: str, password_stdin: bool) -> None:
    """Set a new password, read from standard input; the official's API tokens are revoked."""
    password = sys.stdin.readline().rstrip("\r\n")
    eng = _engine()
    try:
        with eng.transaction() as session:
            accounts.set_password(session, username, password, now=eng.now())
    except LienThongError as exc:
        _fail(str(exc))
    finally:
        eng.close()
    click.echo(f"Đã đổi mật khẩu của cán bộ {username.strip().lower()}")


@main.command("seed-demo")
@click.option("--password", default="lienthong-demo", show_default=True, help="Password of every demo login")
@click.option("--history", is_flag=True, help="Also make a year of dossiers of the funeral-support procedure "
                                              "(once: skipped when it has dossiers already)")
def seed_demo(password: str, history: bool) -> None:
    """Load the demo: agencies, officials and every procedure in workflows/; print the logins."""
    from engine.demo import seed

    eng = _engine()
    try:
        logins = seed(eng, WORKFLOWS_DIR, password)
        _sync_calendar_decisions()
    except LienThongError as exc:
        _fail(str(exc))
    click.echo(f"Tài khoản demo (mật khẩu: {password}):")
    for username, roles, agency_name in logins:
        click.echo(f"  {username:<28} {roles:<22} {agency_name}")
    from engine.demo_citizens import seed_applications
    from engine.documents import Documents

    settings = eng.settings
    sent = seed_applications(eng, Documents(eng, settings.document_dir, max_bytes=settings.max_document_bytes))
    if sent:
        click.echo(f"Hồ sơ nộp trực tuyến demo chờ bộ phận một cửa xã Liên Hương: {', '.join(sent)}")
    if history:
        from engine import reviewing

        if reviewing.has_dossiers(eng, DEMO_HISTORY_PROCEDURE):
            click.echo("Lịch sử hồ sơ demo đã có sẵn.")
        else:
            _generate_history(DEMO_HISTORY_PROCEDURE, 365, 2026, None)


@main.command()
@click.argument("received_at")
@click.argument("working_days")
def due(received_at: str, working_days: str) -> None:
    """Print the due time of RECEIVED_AT plus WORKING_DAYS (ISO 8601 with offset)."""
    from engine.calendar import parse_datetime, parse_working_days

    try:
        days = parse_working_days(working_days)
        cal = _calendar_for_cli()
        start = parse_datetime(received_at, cal.config.timezone)
        click.echo(cal.due(start, days).isoformat())
    except LienThongError as exc:
        _fail(str(exc))


def _calendar_for_cli() -> Any:
    """The calendar with the database's overrides when a database is there, else the shipped one;
    office hours, lunch break, cut-off and day length from the settings either way."""
    from engine.calendar import WorkingCalendar

    settings = _settings()
    try:
        eng = _engine()
        try:
            return eng.calendar()
        finally:
            eng.close()
    except Exception:
        return WorkingCalendar(settings.calendar_config())


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("diagrams"))
@click.option("--format", "formats", default="svg,png,pdf", show_default=True)
@click.option("--all", "all_files", is_flag=True, help="Render every procedure in workflows/")
def render(files: tuple[Path, ...], out_dir: Path, formats: str, all_files: bool) -> None:
    """Render BPMN files as flowcharts (graphviz): svg, png, pdf."""
    from engine.flowchart import render_files
    from engine.publish import publish_diagrams

    paths = list(files) + (sorted(WORKFLOWS_DIR.glob("*.bpmn")) if all_files else [])
    if not paths:
        _fail("chưa chỉ ra tệp nào")
    fmts = [f.strip() for f in formats.split(",") if f.strip()]
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        if all_files and not files:
            failures = publish_diagrams(paths, out_dir, fmts)  # also records what each was made from
        else:
            failures = render_files(paths, out_dir, fmts)
    except LienThongError as exc:
        _fail(str(exc))
    for line in failures:
        click.echo(line)
    click.echo(f"Đã vẽ {len(paths) - len(failures)}/{len(paths)} tệp vào {out_dir}")
    sys.exit(1 if failures else 0)


@main.command("import-table")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="BPMN file to write")
@click.option("--code", required=True, help="Mã thủ tục hành chính (procedure_code)")
@click.option("--name", required=True, help="Tên thủ tục")
@click.option("--legal-days", required=True, help="Thời hạn luật định, số ngày làm việc")
def import_table(table: Path, output: Path, code: str, name: str, legal_days: str) -> None:
    """Turn a step table (.csv or .xlsx: Bước, Nội dung công việc, Trách nhiệm, Thời gian) into BPMN."""
    from decimal import Decimal, InvalidOperation

    from engine import steptable_import

    try:
        days = Decimal(legal_days.strip().replace(",", "."))
    except InvalidOperation:
        _fail(f"--legal-days «{legal_days}» không phải là số ngày làm việc")
    if table.stat().st_size > steptable_import.MAX_BYTES:
        _fail(f"Tệp quá lớn: tối đa {steptable_import.MAX_BYTES // (1024 * 1024)} MB")
    try:
        data = steptable_import.import_table(table.read_bytes(), table.name, code=code, name=name,
                                             legal_days=days)
    except LienThongError as exc:
        _fail(str(exc))
    try:
        output.write_bytes(data)
    except OSError as exc:
        _fail(f"không ghi được {output}: {exc.strerror or exc}")
    click.echo(f"Đã ghi {output}")


@main.command()
@click.option("--once", is_flag=True, help="Run one pass and exit")
@click.option("--interval", type=float, default=None, help="Seconds between passes (default: setting)")
def worker(once: bool, interval: float | None) -> None:
    """Background worker: fire due timers, mark overdue steps, warn before due times."""
    from engine import notifications
    from engine.worker import run_worker

    outbox.load_plugins()
    eng = _engine()
    notifications.install(eng)
    run_worker(eng, once=once, interval=interval or eng.settings.worker_interval, echo=click.echo)


@main.command("export-log")
@click.option("--procedure", required=True, help="Procedure code")
@click.option("--from", "date_from", required=True, help="First day of receipt (YYYY-MM-DD)")
@click.option("--to", "date_to", required=True, help="Last day of receipt (YYYY-MM-DD)")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="FILE.xes (IEEE 1849 XES) or FILE.csv")
def export_log(procedure: str, date_from: str, date_to: str, output: Path) -> None:
    """Write a procedure's event log for process mining (no personal data)."""
    from engine import reviewing

    fmt = output.suffix.lower().lstrip(".")
    try:
        start, end = _iso_date(date_from), _iso_date(date_to)
        if fmt not in ("xes", "csv"):
            _fail("tệp kết quả phải có đuôi .xes hoặc .csv")
        tmp = output.with_name(output.name + ".part")
        with tmp.open("w", encoding="utf-8", newline="") as out:
            count = reviewing.export_log(_engine(), None, procedure, start, end, fmt, out)
        tmp.replace(output)
    except LienThongError as exc:
        _fail(str(exc))
    click.echo(f"Đã ghi {count} hồ sơ vào {output}")


DEMO_HISTORY_PROCEDURE = "1.001731"


@main.command("demo-history")
@click.option("--procedure", default=DEMO_HISTORY_PROCEDURE, show_default=True, help="Procedure code")
@click.option("--days", default=365, show_default=True, help="Days of history, ending today")
@click.option("--seed", default=2026, show_default=True, help="Random seed (the same seed gives the same year)")
@click.option("--slow-step", default=None, help="Element id of the step made slow (default: the first examined step)")
def demo_history(procedure: str, days: int, seed: int, slow_step: str | None) -> None:
    """Generate a year of dossiers through the engine on a simulated clock, for the review and statistics."""
    _generate_history(procedure, days, seed, slow_step)


def _generate_history(procedure: str, days: int, seed: int, slow_step: str | None) -> None:
    from datetime import date, timedelta

    from engine import reviewing
    from engine.history_demo import Plan
    from engine.runtime import Engine

    plan = Plan(procedure=procedure, start=date.today() - timedelta(days=days), days=days, seed=seed,
                slow_step=slow_step)
    settings = _settings()
    try:
        with click.progressbar(length=int(days * 2.6), label="Tạo lịch sử hồ sơ", file=sys.stderr) as bar:
            summary = reviewing.demo_history(lambda clock: Engine(settings=settings, clock=clock), plan, bar.update)
    except LienThongError as exc:
        _fail(str(exc))
    click.echo(f"Đã tạo {summary.dossiers} hồ sơ, {summary.completions} bước hoàn thành, "
               f"{summary.supplements} lần yêu cầu bổ sung; bước chậm: {summary.slow_step}")


def _iso_date(text: str) -> Any:
    from datetime import date

    from engine.errors import InvalidInput

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"Ngày không hợp lệ (YYYY-MM-DD): {text!r}") from None

def _add_directory_commands() -> None:
    from engine.cli_directory import agency_dissolve, kind, unit

    main.add_command(unit)
    main.add_command(kind)
    agency.add_command(agency_dissolve)


_add_directory_commands()


def _register_plugins() -> None:
    """Commands contributed by other packages (the web UI's `serve`), via entry points."""
    for ep in entry_points(group="lienthong.commands"):
        if ep.name in main.commands:
            continue
        try:
            command = ep.load()
        except Exception as exc:  # a broken plugin must not break the rest of the CLI
            click.echo(f"cảnh báo: không nạp được lệnh {ep.name}: {exc}", err=True)
            continue
        main.add_command(command, ep.name)


def run() -> None:
    """Console entry point: add plugin commands, then run (importing engine.cli loads no plugin)."""
    _register_plugins()
    main()
