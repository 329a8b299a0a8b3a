"""`agent-os-otel audit verify` against the Go exporter's own test vectors, and every kind of tampering."""

import subprocess
import sys
from pathlib import Path

import pytest

from agent_os_otel.audit import verify_files
from tests.support.run import ROOT

VECTORS = ROOT / "collector" / "auditexporter" / "testdata" / "vectors"
KEY = (VECTORS / "key.txt").read_bytes().rstrip(b" \t\r\n")
CLI = str(Path(sys.executable).parent / "agent-os-otel")


def verify_cli(*paths, key_file=VECTORS / "key.txt", extra=()):
    return subprocess.run([CLI, "audit", "verify", *map(str, paths), "--key-file", str(key_file), *extra],
                          capture_output=True, text=True)


def test_the_exporters_vectors_verify(tmp_path):
    verdict = verify_files([VECTORS / "chain.jsonl"], KEY)
    assert verdict.ok and verdict.records == 5 and verdict.last_seq == 5
    assert verdict.last_hash == "609da7f6d05e0a92b9d57e737e286af24070faa9db10db7ce6b00b966a2520bd"
    result = verify_cli(VECTORS / "chain.jsonl")
    assert result.returncode == 0 and result.stdout.startswith("OK: 5 records in 1 file(s), seq 1..5")


def rotated(tmp_path) -> list[Path]:
    """The vectors split as the exporter rotates: stem-<first seq, 20 digits>.jsonl, then the active file."""
    lines = (VECTORS / "chain.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    first = tmp_path / "audit-00000000000000000001.jsonl"
    second = tmp_path / "audit-00000000000000000003.jsonl"
    active = tmp_path / "audit.jsonl"
    first.write_text("".join(lines[:2]), encoding="utf-8")
    second.write_text("".join(lines[2:4]), encoding="utf-8")
    active.write_text(lines[4], encoding="utf-8")
    return [active, second, first]  # any order: verify sorts by chain position


def test_rotated_files_verify_as_one_chain(tmp_path):
    verdict = verify_files(rotated(tmp_path), KEY)
    assert verdict.ok and (verdict.records, verdict.files) == (5, 3)


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def flip_byte(files):
    path = files[1]
    text = path.read_text(encoding="utf-8")
    at = text.index('"decision":"') + len('"decision":"')
    path.write_text(text[:at] + ("X" if text[at] != "X" else "Y") + text[at + 1:], encoding="utf-8")
    return path, 1, "hash does not match"


def delete_line(files):
    path = files[1]
    lines = _lines(path)
    path.write_text(lines[1], encoding="utf-8")  # drop seq 3
    return path, 1, "seq 4 where 3 was expected"


def swap_lines(files):
    path = files[1]
    lines = _lines(path)
    path.write_text(lines[1] + lines[0], encoding="utf-8")
    return path, 1, "seq 4 where 3 was expected"


def truncate_tail(files):
    path = files[0]
    path.write_bytes(path.read_bytes()[:-20])
    return path, 1, "incomplete"


def edit_rotated(files):
    path = files[2]  # the oldest, rotated file
    path.write_text(path.read_text(encoding="utf-8").replace('"allow"', '"deny"', 1), encoding="utf-8")
    return path, None, "hash does not match"


@pytest.mark.parametrize("tamper", [flip_byte, delete_line, swap_lines, truncate_tail, edit_rotated])
def test_tampering_is_caught_and_the_record_named(tmp_path, tamper):
    files = rotated(tmp_path)
    path, line, problem = tamper(files)
    verdict = verify_files(files, KEY)
    assert not verdict.ok
    assert verdict.file == str(path) and problem in verdict.problem
    if line is not None:
        assert verdict.line == line
    result = verify_cli(*files)
    assert result.returncode == 1
    assert f"FAILED: {path}:" in result.stderr and problem in result.stderr


def test_records_cut_from_the_end_need_the_expected_seq(tmp_path):
    files = rotated(tmp_path)
    files[0].unlink()  # the active file, seq 5, gone entirely: the rest is still a valid chain
    assert verify_files(files[1:], KEY).ok
    verdict = verify_files(files[1:], KEY, expect_last_seq=5)
    assert not verdict.ok and "chain ends at seq 4, expected 5" in verdict.problem


def test_wrong_key_and_bad_arguments(tmp_path):
    wrong = tmp_path / "wrong.key"
    wrong.write_text("not the key\n")
    result = verify_cli(VECTORS / "chain.jsonl", key_file=wrong)
    assert result.returncode == 1 and "signature is not valid for this key" in result.stderr
    missing = verify_cli(tmp_path / "nope.jsonl")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    no_key = verify_cli(VECTORS / "chain.jsonl", key_file=tmp_path / "absent.key")
    assert no_key.returncode == 2 and "cannot read --key-file" in no_key.stderr
