"""`lienthong unit …`, `lienthong kind …` and `lienthong agency dissolve`: the administrative map."""

from __future__ import annotations

from pathlib import Path

import click

from engine import succession, units
from engine.cli_common import fail, open_engine
from engine.errors import LienThongError

_engine = open_engine
_fail = fail


@click.group()
def unit() -> None:
    """Administrative units (đơn vị hành chính): provinces and communes/wards."""


@unit.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def unit_import(file: Path) -> None:
    """Import a CSV (code,name,level,parent_code); any bad row: one error per row, nothing imported."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"không đọc được {file}: {exc}")
        return
    eng = _engine()
    try:
        with eng.transaction() as session:
            added, updated = units.import_units(session, text)
    except LienThongError as exc:
        _fail(str(exc))
    finally:
        eng.close()
    click.echo(f"Đã nhập {file}: {added} đơn vị mới, {updated} đơn vị cập nhật")


@unit.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--level", required=True, type=click.Choice(units.UNIT_LEVELS))
@click.option("--parent", default=None, help="Mã tỉnh (for a commune or ward)")
def unit_add(code: str, name: str, level: str, parent: str | None) -> None:
    """Add (or rename) an administrative unit."""
    eng = _engine()
    try:
        with eng.transaction() as session:
            info = units.add_unit(session, code, name, level, parent)
    except LienThongError as exc:
        _fail(str(exc))
    finally:
        eng.close()
    click.echo(f"Đã lưu đơn vị {info.code}: {info.name}")


@unit.command("list")
@click.option("--search", default="", help="Words of the name, accents optional")
def unit_list(search: str) -> None:
    """List units: code, name, level, parent, and the successor of a merged one."""
    eng = _engine()
    try:
        with eng.Session() as session:
            found = units.list_units(session, search=search)
    finally:
        eng.close()
    for u in found:
        ended = f"\thết hiệu lực {u.valid_to:%d/%m/%Y} → {u.successor_code or '-'}" if u.valid_to else ""
        click.echo(f"{u.code}\t{u.name}\t{u.level}\t{u.parent_code or '-'}{ended}")


@click.group()
def kind() -> None:
    """Agency kinds (loại cơ quan): a lane naming a kind resolves per dossier."""


@kind.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--level", default="commune", show_default=True, type=click.Choice(units.UNIT_LEVELS))
@click.option("--public-name", default="", help='How citizens read the lane, e.g. "UBND cấp xã nơi cư trú"')
def kind_add(code: str, name: str, level: str, public_name: str) -> None:
    """Add an agency kind."""
    eng = _engine()
    try:
        with eng.transaction() as session:
            info = units.add_kind(session, code, name, level=level, public_name=public_name)
    except LienThongError as exc:
        _fail(str(exc))
    finally:
        eng.close()
    click.echo(f"Đã thêm loại cơ quan {info.code}: {info.name} (cấp {info.level})")


@kind.command("list")
def kind_list() -> None:
    """List agency kinds: code, name, level."""
    eng = _engine()
    try:
        with eng.Session() as session:
            found = units.list_kinds(session)
    finally:
        eng.close()
    for k in found:
        click.echo(f"{k.code}\t{k.name}\t{k.level}")


@click.command("dissolve")
@click.argument("code")
@click.option("--successor", required=True, help="The agency that takes over its open steps and dossiers")
def agency_dissolve(code: str, successor: str) -> None:
    """Dissolve an agency: open steps move to the successor, history stays as it was."""
    eng = _engine()
    try:
        with eng.transaction() as session:
            done = succession.dissolve(session, code, successor, now=eng.now())
    except LienThongError as exc:
        _fail(str(exc))
    finally:
        eng.close()
    click.echo(f"Đã giải thể {done.code}; {done.moved_steps} bước đang mở chuyển sang {done.successor}, "
               f"{done.shared_dossiers} hồ sơ hiển thị cho {done.successor}")
