"""Every `sohoa` refusal is one clear line on stderr and exit code 2, never a traceback (issue 14,
item 17); a counter key is made for one service point (`--service-point`)."""

from __future__ import annotations

import pytest

from api.cli import main
from intake.settings import get_settings

BAD_COMMAND_LINES = [
    (["keys", "agency", "999.BOGUS"], "AGENCY_UNKNOWN"),
    (["keys", "counter", "nv.a"], "--service-point"),
    (["keys", "counter", "nv.a", "--service-point", "HN-KHONGCO"], "SERVICE_POINT_UNKNOWN"),
    (["keys", "reviewer", "kt.a", "--service-point", "HN-HOANKIEM"], "INVALID_REQUEST"),
    (["keys", "list", "--service-point", "HN-HOANKIEM"], "--service-point"),
    (["keys", "agency"], "agency's code"),
    (["keys", "revoke", "khong-phai-so"], "khong-phai-so"),
    (["keys", "revoke", "999"], "999"),
    (["keys", "sep"], "invalid choice"),
    (["keys"], "required"),
    ([], "required"),
    (["khong-co-lenh"], "invalid choice"),
    (["serve", "--port", "99999"], "port"),
    (["serve", "--port", "tam"], "port"),
    (["worker", "--port", "0"], "port"),
    (["worker"], "--address"),
    (["process"], "PATH"),
    (["process", "a.png", "--khong-co"], "unrecognized"),
    (["demo", "--samples", "/khong/co/thu/muc"], "/khong/co/thu/muc"),
]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _one_line_refusal(capsys, argv: list[str]) -> str:  # noqa: ANN001
    assert main(argv) == 2, argv
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert lines[0].startswith("sohoa")
    return lines[0]


@pytest.mark.parametrize(("argv", "says"), BAD_COMMAND_LINES, ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_a_bad_command_line_is_one_line_and_exit_2(data_dir, capsys, argv, says):
    assert says in _one_line_refusal(capsys, argv)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SOHOA_DATABASE_URL", "khong-phai-url://", "SOHOA_DATABASE_URL"),
        ("SOHOA_DATABASE_URL", "postgresql+psycopg://sohoa@127.0.0.1:1/sohoa", "DATABASE_UNAVAILABLE"),
        ("SOHOA_INTAKE__MAX_UPLOAD_BYTES", "nhieu", "SOHOA_INTAKE__MAX_UPLOAD_BYTES"),
        ("SOHOA_INTAKE__PROCEDURES_FILE", "/khong/co.json", "/khong/co.json"),
    ],
)
def test_bad_settings_are_one_line_and_exit_2(data_dir, capsys, monkeypatch, variable, value, says):
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    assert says in _one_line_refusal(capsys, ["keys", "list"])


@pytest.mark.parametrize("content", ['{"procedures": [{"code": "1.000001"}]}', '{"procedures": [', "[]"])
def test_a_broken_reference_file_is_one_line_and_exit_2(data_dir, capsys, monkeypatch, content):
    broken = data_dir / "thu-tuc.json"
    broken.write_text(content, encoding="utf-8")
    monkeypatch.setenv("SOHOA_INTAKE__PROCEDURES_FILE", str(broken))
    get_settings.cache_clear()
    assert str(broken) in _one_line_refusal(capsys, ["db"])


def test_fields_lists_every_field(capsys):
    from models.fields import FIELD_SPECS

    assert main(["fields"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in lines] == [spec.name for spec in FIELD_SPECS]


def test_a_counter_key_is_made_for_its_service_point(data_dir, capsys):
    from intake.service import open_service

    assert main(["keys", "counter", "nv.cli", "--service-point", "HN-BADINH"]) == 0
    key = capsys.readouterr().out.strip()
    principal = open_service(get_settings()).keys.authenticate(key)
    assert (principal.role, principal.subject, principal.service_point) == ("counter", "nv.cli", "HN-BADINH")
    assert main(["keys", "list"]) == 0
    assert "HN-BADINH" in capsys.readouterr().out
    assert main(["keys", "revoke", "1"]) == 0
