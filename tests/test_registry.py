"""The agent registry: loading, exact matching, and errors that name the file, the line and the field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from scanner.errors import RegistryError, RegistryErrors
from scanner.registry import (
    AgentRecord,
    AgentStatus,
    Registry,
    SourceRef,
    load_registry,
    parse_registry_text,
)

VALID_YAML = """\
version: 1
agents:
  - id: invoice-reconciler
    owner: jane.doe@example.com
    purpose: Reconcile supplier invoices
    status: active
    environment: prod
    data_boundary: finance-ledger
    expires: 2027-01-31
    allowed_permissions:
      - bedrock:InvokeModel
    identities:
      - arn:aws:iam::111111111111:role/invoice-reconciler
      - 3f2c8a9e-0000-4000-8000-1234567890ab
      - invoice-bot@proj.iam.gserviceaccount.com
  - id: claims-agent
    owner: sam@example.com
    purpose: |
      Triage insurance claims
    status: retired
    retired_on: "2026-10-01"
    allowed_permissions: []
    identities: [claims-bot@proj.iam.gserviceaccount.com]
"""

INVOICE = AgentRecord(
    id="invoice-reconciler",
    owner="jane.doe@example.com",
    purpose="Reconcile supplier invoices",
    status=AgentStatus.ACTIVE,
    environment="prod",
    data_boundary="finance-ledger",
    expires=date(2027, 1, 31),
    allowed_permissions=("bedrock:InvokeModel",),
    identities=(
        "arn:aws:iam::111111111111:role/invoice-reconciler",
        "3f2c8a9e-0000-4000-8000-1234567890ab",
        "invoice-bot@proj.iam.gserviceaccount.com",
    ),
)
CLAIMS = AgentRecord(
    id="claims-agent",
    owner="sam@example.com",
    purpose="Triage insurance claims",
    status=AgentStatus.RETIRED,
    retired_on=date(2026, 10, 1),
    allowed_permissions=(),
    identities=("claims-bot@proj.iam.gserviceaccount.com",),
)


def write(directory: Path, files: dict[str, str | bytes]) -> None:
    """Write registry files into a directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def load_errors(path: Path) -> list[str]:
    """The one-line errors that loading a path raises."""
    with pytest.raises(RegistryErrors) as raised:
        load_registry(path)
    assert all(isinstance(error, RegistryError) for error in raised.value.errors)
    assert str(raised.value) == "\n".join(str(error) for error in raised.value.errors)
    return [str(error) for error in raised.value.errors]


def assert_error(errors: list[str], prefix: str, message: str) -> None:
    """One error starts with `file:line: field: ` and contains the message."""
    hits = [error for error in errors if error.startswith(prefix) and message in error]
    assert hits, f"no error starting {prefix!r} with {message!r} in:\n" + "\n".join(errors)
    assert all("\n" not in error for error in errors)


def fields_of(record: AgentRecord) -> dict[str, object]:
    """A record's fields as keyword arguments."""
    return {name: getattr(record, name) for name in record.__slots__}


def without_source(records: list[AgentRecord] | tuple[AgentRecord, ...]) -> list[AgentRecord]:
    """Records compared on their content only."""
    return [AgentRecord(**{**fields_of(record), "source": None}) for record in records]


# --- valid registries ---------------------------------------------------------------------------------------------


def test_valid_yaml_loads_every_field(tmp_path: Path) -> None:
    write(tmp_path, {"agents.yaml": VALID_YAML})
    registry = load_registry(tmp_path / "agents.yaml")
    assert without_source(registry.records) == [INVOICE, CLAIMS]
    assert registry.records[0].source == SourceRef(file=str(tmp_path / "agents.yaml"), line=3)
    assert registry.records[1].source == SourceRef(file=str(tmp_path / "agents.yaml"), line=16)
    assert registry.sources == (str(tmp_path / "agents.yaml"),)
    assert len(registry) == 2
    assert registry.records[0].provenance == "file"


def test_valid_json_loads_the_same_records(tmp_path: Path) -> None:
    doc = {
        "version": 1,
        "agents": [
            {**json_of(INVOICE), "expires": "2027-01-31"},
            {**json_of(CLAIMS), "retired_on": "2026-10-01"},
        ],
    }
    text = json.dumps(doc, indent="\t")  # tabs: valid JSON that PyYAML alone refuses
    write(tmp_path, {"agents.json": text})
    registry = load_registry(tmp_path / "agents.json")
    assert without_source(registry.records) == [INVOICE, CLAIMS]
    brace_line = text[: text.index('"claims-agent"')].count("\n")  # the record's "{" is on the line before its id
    assert registry.records[1].source == SourceRef(file=str(tmp_path / "agents.json"), line=brace_line)


def json_of(record: AgentRecord) -> dict[str, object]:
    """A record as the JSON object that declares it."""
    out: dict[str, object] = {}
    for name in ("id", "owner", "purpose", "status", "environment", "data_boundary", "allowed_permissions"):
        value = getattr(record, name)
        if value is not None:
            out[name] = list(value) if isinstance(value, tuple) else str(value)
    out["identities"] = list(record.identities)
    return out


def test_allowed_permissions_absent_is_none_and_empty_is_declared() -> None:
    records = parse_registry_text(VALID_YAML.replace("    allowed_permissions: []\n", ""), file="a.yaml")
    assert records[1].allowed_permissions is None
    assert parse_registry_text(VALID_YAML, file="a.yaml")[1].allowed_permissions == ()


def test_directory_loads_registry_files_in_name_order_and_ignores_others(tmp_path: Path) -> None:
    second = 'version: 1\nagents:\n  - {id: b1, owner: o@x.io, purpose: p, status: suspended, identities: ["i-b"]}\n'
    write(
        tmp_path,
        {
            "b.yml": second,
            "a.yaml": VALID_YAML,
            "c.json": '{"version": 1, "agents": []}',
            ".hidden.yaml": "not: a registry",
            "notes.txt": "ignored",
        },
    )
    (tmp_path / "sub.yaml").mkdir()
    write(tmp_path / "sub.yaml", {"nested.yaml": "ignored: true"})
    registry = load_registry(tmp_path)
    assert [r.id for r in registry.records] == ["invoice-reconciler", "claims-agent", "b1"]
    assert registry.sources == tuple(str(tmp_path / n) for n in ("a.yaml", "b.yml", "c.json"))
    b1 = registry.get("b1")
    assert b1 is not None and b1.status is AgentStatus.SUSPENDED
    assert registry.records[2].source == SourceRef(file=str(tmp_path / "b.yml"), line=3)


def test_empty_agents_list_is_a_valid_empty_registry(tmp_path: Path) -> None:
    write(tmp_path, {"agents.yaml": "version: 1\nagents: []\n"})
    assert len(load_registry(tmp_path / "agents.yaml")) == 0
    assert len(Registry.empty()) == 0


@pytest.mark.parametrize("owner", ["todorov@example.com", "replacement-desk@example.com", "Ana <ana@example.com>"])
def test_real_owners_that_merely_resemble_placeholders_are_accepted(owner: str) -> None:
    records = parse_registry_text(VALID_YAML.replace("jane.doe@example.com", json.dumps(owner)), file="a.yaml")
    assert records[0].owner == owner


@pytest.mark.parametrize(
    ("today", "expired"), [(date(2027, 1, 30), False), (date(2027, 1, 31), False), (date(2027, 2, 1), True)]
)
def test_is_expired_only_after_the_expiry_day(today: date, expired: bool) -> None:
    assert INVOICE.is_expired(today) is expired  # expires 2027-01-31
    assert CLAIMS.is_expired(date(2999, 1, 1)) is False  # no expiry declared


# --- matching -----------------------------------------------------------------------------------------------------


@pytest.fixture
def registry() -> Registry:
    return Registry(parse_registry_text(VALID_YAML, file="a.yaml"), sources=["a.yaml"])


@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        (["arn:aws:iam::111111111111:role/invoice-reconciler"], "invoice-reconciler"),
        (["aws:role:x", "3f2c8a9e-0000-4000-8000-1234567890ab"], "invoice-reconciler"),  # a native id
        (("claims-bot@proj.iam.gserviceaccount.com",), "claims-agent"),
        (iter(["nope", "invoice-bot@proj.iam.gserviceaccount.com"]), "invoice-reconciler"),
        # near misses never match: no trimming, case folding, prefix, substring or pattern matching
        (["arn:aws:iam::111111111111:role/invoice-reconciler/"], None),
        (["ARN:AWS:IAM::111111111111:ROLE/INVOICE-RECONCILER"], None),
        (["3F2C8A9E-0000-4000-8000-1234567890AB"], None),
        (["arn:aws:iam::111111111111:role/invoice"], None),
        (["role/invoice-reconciler"], None),
        (["arn:aws:iam::111111111111:role/invoice-reconciler-v2"], None),
        ([" claims-bot@proj.iam.gserviceaccount.com"], None),
        (["invoice-reconciler"], None),  # a record id is not an identity
        (["arn:aws:iam::111111111111:role/*"], None),
        ([], None),
    ],
)
def test_match_is_exact(registry: Registry, identifiers: list[str], expected: str | None) -> None:
    record = registry.match(identifiers)
    assert (record.id if record else None) == expected


def test_match_first_identifier_wins_and_refuses_a_bare_string(registry: Registry) -> None:
    record = registry.match(["claims-bot@proj.iam.gserviceaccount.com", "3f2c8a9e-0000-4000-8000-1234567890ab"])
    assert record is not None and record.id == "claims-agent"
    with pytest.raises(TypeError):
        registry.match("3f2c8a9e-0000-4000-8000-1234567890ab")


def test_get_and_len(registry: Registry) -> None:
    assert registry.get("claims-agent") is registry.records[1]
    assert registry.get("Claims-Agent") is None
    assert len(registry) == 2
    assert Registry.empty().match(["anything"]) is None


def test_registry_refuses_duplicates_from_other_sources() -> None:
    with pytest.raises(ValueError, match="duplicate agent id"):
        Registry([INVOICE, INVOICE])
    with pytest.raises(ValueError, match="belongs to both"):
        Registry([INVOICE, AgentRecord(**{**fields_of(CLAIMS), "identities": INVOICE.identities[:1]})])


# --- errors inside one agent: line and field ----------------------------------------------------------------------

HEAD = "version: 1\nagents:\n"  # so the first agent starts on line 3
AGENT = "  - id: a1\n    owner: o@example.com\n    purpose: p\n    status: active\n    identities: [i-1]\n"


def agent(**replace: str | None) -> str:
    """The one-agent document, keys on lines 3-7, with some key lines replaced (None removes one; not id)."""
    lines = AGENT.splitlines(keepends=True)
    for key, value in replace.items():
        i = next(i for i, line in enumerate(lines) if line.lstrip(" -").startswith(key + ":"))
        lines[i] = "" if value is None else lines[i][: lines[i].index(key)] + value + "\n"
    return HEAD + "".join(lines)


AGENT_ERRORS = [
    # (document, line, field, message)
    (HEAD + AGENT.replace("- id: a1\n    ", "- "), 3, "agents[0].id", "required field is missing"),
    (agent(owner=None), 3, "agents[0] (a1).owner", "required field is missing"),
    (agent(purpose=None), 3, "agents[0] (a1).purpose", "required field is missing"),
    (agent(status=None), 3, "agents[0] (a1).status", "required field is missing"),
    (agent(identities=None), 3, "agents[0] (a1).identities", "required field is missing"),
    (
        agent(status="status: enabled"),
        6,
        "agents[0] (a1).status",
        "must be one of active, suspended, retired; got 'enabled'",
    ),
    (agent(status="status: Active"), 6, "agents[0] (a1).status", "got 'Active'"),
    (agent(status="status: retired"), 6, "agents[0] (a1).retired_on", "required when status is retired"),
    (
        agent(status="status: active\n    retired_on: 2026-01-01"),
        7,
        "agents[0] (a1).retired_on",
        "only allowed when status is retired, not active",
    ),
    (agent(purpose="purpose: p\n    expires: 2027-13-01"), 6, "agents[0] (a1).expires", "cannot read '2027-13-01'"),
    (agent(purpose="purpose: p\n    expires: '2027-02-30'"), 6, "agents[0] (a1).expires", "invalid date '2027-02-30'"),
    (agent(purpose="purpose: p\n    expires: next year"), 6, "agents[0] (a1).expires", "expected a date as YYYY-MM-DD"),
    (agent(purpose="purpose: p\n    expires: 2027-01-31 12:00:00"), 6, "agents[0] (a1).expires", "time of day"),
    (agent(purpose="purpose: p\n    expires: 20270131"), 6, "agents[0] (a1).expires", "got integer"),
    (agent(owner="ownr: o@example.com"), 3, "agents[0] (a1).owner", "required field is missing"),
    (agent(owner="ownr: o@example.com"), 4, "agents[0] (a1).ownr", "unknown key 'ownr'; did you mean owner?"),
    (
        agent(owner="owner: o@example.com\n    colour: blue"),
        5,
        "agents[0] (a1).colour",
        "unknown key 'colour'; known keys:",
    ),
    (
        agent(owner="owner: o@example.com\n    owner: p@example.com"),
        5,
        "agents[0] (a1).owner",
        "duplicate key 'owner' (first on line 4)",
    ),
    (agent(identities="identities: []"), 7, "agents[0] (a1).identities", "must list at least one identity"),
    (agent(identities="identities: i-1"), 7, "agents[0] (a1).identities", "expected a list of strings, got string"),
    (
        agent(identities="identities:\n      - i-1\n      - i-1"),
        9,
        "agents[0] (a1).identities[1]",
        "duplicate 'i-1' (also on line 8)",
    ),
    (
        agent(identities="identities: [' i-1']"),
        7,
        "agents[0] (a1).identities[0]",
        "must not start or end with whitespace",
    ),
    (agent(identities="identities: ['']"), 7, "agents[0] (a1).identities[0]", "must not be empty"),
    (
        agent(identities="identities: [111111111111]"),
        7,
        "agents[0] (a1).identities[0]",
        "got integer; put it in quotes",
    ),
    (agent(identities="identities: [yes]"), 7, "agents[0] (a1).identities[0]", "got boolean; put it in quotes"),
    (agent(owner="owner: 42"), 4, "agents[0] (a1).owner", "expected a string, got integer"),
    (agent(owner="owner:"), 4, "agents[0] (a1).owner", "expected a string, got null"),
    (agent(purpose="purpose: '   '"), 5, "agents[0] (a1).purpose", "must not be empty"),
    (agent(purpose="purpose: p\n    environment: ''"), 6, "agents[0] (a1).environment", "must not be empty"),
    (
        agent(purpose="purpose: p\n    data_boundary: [x]"),
        6,
        "agents[0] (a1).data_boundary",
        "expected a string, got list",
    ),
    (
        agent(purpose="purpose: p\n    allowed_permissions: [a, a]"),
        6,
        "agents[0] (a1).allowed_permissions[1]",
        "duplicate 'a'",
    ),
    (agent(purpose="purpose: p\n    allowed_permissions:"), 6, "agents[0] (a1).allowed_permissions", "got null"),
    (agent(id="id: -lead"), 3, "agents[0].id", "invalid id '-lead'"),
    (agent(id="id: 'a b'"), 3, "agents[0].id", "invalid id 'a b'"),
    (agent(id="id: " + "a" * 129), 3, "agents[0].id", "invalid id"),
    (agent(id="id: 7"), 3, "agents[0].id", "expected a string, got integer"),
    (HEAD + "  - just-a-string\n", 3, "agents[0]", "expected a mapping (one agent), got string"),
    (HEAD + AGENT + "  - id: a2\n    colour: red\n", 8, "agents[1] (a2).owner", "required field is missing"),
]


@pytest.mark.parametrize(("document", "line", "field", "message"), AGENT_ERRORS)
def test_agent_error_names_file_line_and_field(
    tmp_path: Path, document: str, line: int, field: str, message: str
) -> None:
    write(tmp_path, {"agents.yaml": document})
    errors = load_errors(tmp_path / "agents.yaml")
    assert_error(errors, f"{tmp_path / 'agents.yaml'}:{line}: {field}: ", message)


@pytest.mark.parametrize(
    "owner",
    [
        "<owner>",
        "<team@example.com>",
        "TODO",
        "todo: find owner",
        "TBD",
        "changeme@example.com",
        "FIXME",
        "REPLACE_ME",
        "placeholder",
    ],
)
def test_placeholder_owner_is_rejected(tmp_path: Path, owner: str) -> None:
    write(tmp_path, {"agents.yaml": agent(owner=f"owner: {json.dumps(owner)}")})
    errors = load_errors(tmp_path / "agents.yaml")
    assert_error(errors, f"{tmp_path / 'agents.yaml'}:4: agents[0] (a1).owner: ", "is a placeholder")


def test_json_errors_name_the_line_of_the_field(tmp_path: Path) -> None:
    text = """\
{
  "version": 1,
  "agents": [
    {
      "id": "a1",
      "owner": "o@x.io",
      "owner": "p@x.io",
      "purpose": "p",
      "status": "paused",
      "identities": ["i-1"]
    }
  ]
}
"""
    write(tmp_path, {"agents.json": text})
    errors = load_errors(tmp_path / "agents.json")
    assert errors == [
        f"{tmp_path / 'agents.json'}:7: agents[0] (a1).owner: duplicate key 'owner' (first on line 6)",
        f"{tmp_path / 'agents.json'}:9: agents[0] (a1).status: must be one of active, suspended, retired; got 'paused'",
    ]


def test_all_errors_of_all_files_are_reported_in_line_order(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": agent(status="status: on", owner="owner: TBD"), "b.yaml": HEAD + "  - {}\n"})
    errors = load_errors(tmp_path)
    assert [e.split(": ")[0] for e in errors] == [f"{tmp_path / 'a.yaml'}:4", f"{tmp_path / 'a.yaml'}:6"] + [
        f"{tmp_path / 'b.yaml'}:3"
    ] * 5


# --- errors at the top level and across files ---------------------------------------------------------------------

TOP_ERRORS = [
    ("version: 2\nagents: []\n", 1, "version", "unsupported version 2; the supported version is 1"),
    ("version: '1'\nagents: []\n", 1, "version", "unsupported version '1' (string)"),
    ("version: true\nagents: []\n", 1, "version", "unsupported version True (boolean)"),
    ("agents: []\n", 1, "version", "required field is missing"),
    ("version: 1\n", 1, "agents", "required field is missing"),
    ("version: 1\nagents: {}\n", 2, "agents", "expected a list of agents, got mapping"),
    ("version: 1\nagents: []\nagent: []\n", 3, "agent", "unknown key 'agent'; did you mean agents?"),
    ("version: 1\nagents: []\nversion: 1\n", 3, "version", "duplicate key 'version' (first on line 1)"),
    ("- version: 1\n", 1, "(top level)", "expected a mapping with version and agents, got list"),
    ("version: 1\nagents: []\n1: x\n", 3, "(top level)", "mapping keys must be strings"),
    ("version: 1\nagents: !!set {a}\n", 2, "agents", "unsupported YAML tag !!set"),
    (
        "version: 1\nagents: [!!python/object:os.system {}]\n",
        2,
        "agents[0]",
        "unsupported YAML tag !!python/object:os.system",
    ),
]


@pytest.mark.parametrize(("document", "line", "field", "message"), TOP_ERRORS)
def test_top_level_error_names_file_line_and_field(
    tmp_path: Path, document: str, line: int, field: str, message: str
) -> None:
    write(tmp_path, {"agents.yaml": document})
    assert_error(load_errors(tmp_path / "agents.yaml"), f"{tmp_path / 'agents.yaml'}:{line}: {field}: ", message)


def test_duplicate_id_across_files_names_the_second_and_points_at_the_first(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": agent(), "b.yaml": agent(identities="identities: [i-2]")})
    assert load_errors(tmp_path) == [
        f"{tmp_path / 'b.yaml'}:3: agents[0] (a1).id: duplicate id 'a1'; first defined at {tmp_path / 'a.yaml'}:3"
    ]


def test_duplicate_identity_across_records_and_files(tmp_path: Path) -> None:
    other = agent(id="id: a2", identities="identities: [i-9, i-1]")
    write(tmp_path, {"a.yaml": agent(), "b.yaml": other})
    first = tmp_path / "a.yaml"
    assert load_errors(tmp_path) == [
        f"{tmp_path / 'b.yaml'}:7: agents[0] (a2).identities[1]: 'i-1' already belongs to agent a1 ({first}:7)"
    ]
    one_file = agent() + "  - {id: a2, owner: o@x.io, purpose: p, status: active, identities: [i-1]}\n"
    write(tmp_path / "one", {"a.yaml": one_file})
    assert_error(
        load_errors(tmp_path / "one"),
        f"{tmp_path / 'one' / 'a.yaml'}:8: agents[1] (a2).identities[0]: ",
        "already belongs to agent a1",
    )


def test_parse_registry_text_checks_uniqueness_within_its_text() -> None:
    with pytest.raises(RegistryErrors) as raised:
        parse_registry_text(
            agent() + "  - {id: a1, owner: o@x.io, purpose: p, status: active, identities: [i-2]}\n", file="t.yaml"
        )
    assert [str(e) for e in raised.value.errors] == [
        "t.yaml:8: agents[1] (a1).id: duplicate id 'a1'; first defined at t.yaml:3"
    ]


# --- syntax and file errors ---------------------------------------------------------------------------------------

SYNTAX_ERRORS: list[tuple[str, str | bytes, int | None, str]] = [
    (
        "agents.yaml",
        "version: 1\nagents:\n  - id: a1\n   owner: x\n",
        4,
        "invalid YAML: while parsing a block collection (line 3)",
    ),
    ("agents.yaml", 'version: 1\nagents:\n  - id: "a1\n', 4, "invalid YAML: while scanning a quoted scalar (line 3)"),
    ("agents.yaml", "version: 1\nagents: []\n---\nversion: 1\n", 3, "expected a single document"),
    ("agents.yaml", "version: 1\nx: &a [1]\nagents: *a\n", 3, "aliases of lists and mappings are not supported"),
    ("agents.yaml", "version: 1\nagents: &a [*a]\n", 2, "aliases of lists and mappings are not supported"),
    ("agents.yaml", "version: 1\nagents: []\nx: \x07\n", 3, "character U+0007 is not allowed"),
    ("agents.json", '{\n  "version": 1,\n  "agents": [],\n}\n', 4, "invalid JSON: Expecting property name"),
    ("agents.json", '{\n  "version": 1,\n  "agents": [\n    {"id": "a1",}\n  ]\n}\n', 4, "invalid JSON"),
    ("agents.json", '{"version": 1, "agents": []} // comment\n', 1, "invalid JSON: Extra data"),
    ("agents.yaml", "", None, "empty registry file"),
    ("agents.json", "  \n", None, "empty registry file"),
    ("agents.yaml", "# nothing here\n", None, "empty registry file"),
    ("agents.yaml", b"version: 1\nagents:\n  - id: caf\xe9\n", 3, "not valid UTF-8 (byte 0xe9 at offset 30)"),
]


@pytest.mark.parametrize(("name", "content", "line", "message"), SYNTAX_ERRORS)
def test_syntax_and_encoding_errors_name_file_and_line(
    tmp_path: Path, name: str, content: str | bytes, line: int | None, message: str
) -> None:
    write(tmp_path, {name: content})
    where = str(tmp_path / name) + (f":{line}" if line else "")
    assert_error(load_errors(tmp_path / name), f"{where}: ", message)


def test_missing_path_is_named(tmp_path: Path) -> None:
    assert load_errors(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: no such file or directory"]


def test_directory_without_registry_files_is_named(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "x", ".hidden.yaml": VALID_YAML})
    assert load_errors(tmp_path) == [f"{tmp_path}: directory holds no *.yaml, *.yml or *.json registry file"]


def test_unreadable_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a.yaml": VALID_YAML, "b.yaml": VALID_YAML})
    real_read = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path.name == "b.yaml":  # file modes do not stop root, so the denial is simulated
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    assert load_errors(tmp_path) == [f"{tmp_path / 'b.yaml'}: cannot read file: Permission denied"]


def test_json_surrogate_pair_escape_becomes_one_character() -> None:
    text = '{"version": 1, "agents": [{"id": "a1", "owner": "\\ud83d\\ude00 o@x.io", "purpose": "p", '
    text += '"status": "active", "identities": ["i-1"]}]}'
    assert parse_registry_text(text, file="a.json")[0].owner == "\U0001f600 o@x.io"
