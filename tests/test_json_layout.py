"""report.json's layout: one record per line, streamed to disk, byte-identical to the in-memory rendering."""

from __future__ import annotations

import json
from pathlib import Path

from reports.json_report import JsonRenderer
from scanner.output import write_reports

DOCUMENT = {
    "schema_version": "1",
    "scan": {"id": "s-1", "coverage": [{"scope": "111111111111", "gaps": []}]},
    "identities": [{"uid": "aws:role/a", "name": "<script>\u2028é"}, {"uid": "aws:role/b", "name": 'q"uote\n'}],
    "findings": [],
}


def test_round_trips_with_each_array_element_on_its_own_line() -> None:
    data = JsonRenderer().render(DOCUMENT)
    assert json.loads(data) == DOCUMENT
    lines = data.decode("utf-8").rstrip("\n").split("\n")  # not splitlines(): U+2028 inside a string is no break
    assert lines[0] == "{" and lines[-1] == "}"
    uids = [json.loads(line.rstrip(","))["uid"] for line in lines if line.startswith('{"uid"')]
    assert uids == ["aws:role/a", "aws:role/b"]  # one identity per line, in order
    assert '"findings": []' in lines[-2]  # an empty array stays inline


def test_streamed_file_equals_the_rendered_bytes(tmp_path: Path) -> None:
    renderer = JsonRenderer()
    assert b"".join(renderer.stream(DOCUMENT)) == renderer.render(DOCUMENT)
    (written,) = write_reports(DOCUMENT, tmp_path, ("json",))
    assert written.read_bytes() == renderer.render(DOCUMENT)
    assert written.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind
