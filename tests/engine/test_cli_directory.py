"""`lienthong unit|kind` and `agency add --kind --unit`, `agency dissolve`, run as real processes."""

from __future__ import annotations

from pathlib import Path

from tests.engine.test_cli import run

CSV = """# two communes of a province
code,name,level,parent_code
P68,tỉnh Lâm Đồng,province,
X01,xã Liên Hương,commune,P68
X02,xã Bắc Bình,commune,P68
"""


def test_units_kinds_agencies_and_dissolution_from_the_command_line(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/cli.sqlite"
    assert run("init-db", url=url).returncode == 0
    units = tmp_path / "units.csv"
    units.write_text(CSV, encoding="utf-8")
    first = run("unit", "import", str(units), url=url)
    assert first.returncode == 0 and "3 đơn vị mới" in first.stdout
    again = run("unit", "import", str(units), url=url)
    assert again.returncode == 0 and "0 đơn vị mới, 0 đơn vị cập nhật" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(CSV + "X03,,commune,P68\nX04,xã D,district,P68\nX05,xã E,commune\n", encoding="utf-8")
    refused = run("unit", "import", str(bad), url=url)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert [line.split(":")[0] for line in refused.stderr.splitlines() if line.startswith("dòng")] == \
        ["dòng 6", "dòng 7", "dòng 8"]
    assert "X03" not in run("unit", "list", url=url).stdout

    assert run("unit", "add", "X03", "--name", "xã Tuy Phong", "--level", "commune", "--parent", "P68",
               url=url).returncode == 0
    assert "xã Tuy Phong" in run("unit", "list", "--search", "tuy phong", url=url).stdout

    assert run("kind", "add", "ubnd_xa", "--name", "UBND cấp xã", url=url).returncode == 0
    assert run("kind", "add", "snv", "--name", "Sở Nội vụ", "--level", "province", url=url).returncode == 0
    assert run("kind", "list", url=url).stdout.splitlines() == ["snv\tSở Nội vụ\tprovince",
                                                                 "ubnd_xa\tUBND cấp xã\tcommune"]
    for code, name, unit in (("U1", "UBND xã Liên Hương", "X01"), ("U2", "UBND xã Bắc Bình", "X02")):
        added = run("agency", "add", code, "--name", name, "--level", "commune", "--kind", "ubnd_xa",
                    "--unit", unit, url=url)
        assert added.returncode == 0, added.stderr
    wrong = run("agency", "add", "U3", "--name", "UBND thứ hai", "--kind", "ubnd_xa", "--unit", "X01", url=url)
    assert wrong.returncode == 1 and "xã Liên Hương đã có cơ quan loại «UBND cấp xã»: U1" in wrong.stderr
    level = run("agency", "add", "U4", "--name", "UBND tỉnh", "--kind", "ubnd_xa", "--unit", "P68", url=url)
    assert level.returncode == 1 and "cấp commune" in level.stderr

    done = run("agency", "dissolve", "U2", "--successor", "U1", url=url)
    assert done.returncode == 0 and "U1" in done.stdout
    listed = {line.split("\t")[0]: line for line in run("agency", "list", url=url).stdout.splitlines()}
    assert "giải thể" in listed["U2"] and "→ U1" in listed["U2"] and "ubnd_xa\tX01" in listed["U1"]
    assert run("agency", "dissolve", "U2", "--successor", "U1", url=url).returncode == 1
