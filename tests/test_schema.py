"""The JSON format (``splatkit/schema/``): a valid draft 2020-12 schema that documents every key
``Splat.to_dict()`` produces, and that every report of every corpus validates against.

Reports come from the bundled seed, the seed e-mail, every syzkaller corpus file, every wild
paste and every golden case (the shared ones skip cleanly when ``../shared`` is absent). Each
is checked as ``splatkit json`` prints it: a list of reports, through ``json.dumps``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

import splatkit
import splatkit.schema
from conftest import REPO, SEED_EMAIL, WILD, read_log
from splatkit.cli import main
from splatkit.grammar.kinds import KINDS
from splatkit.grammar.sections import SECTIONS
from splatkit.model import Splat
from splatkit.schema import SCHEMA_FILE, SCHEMA_ID, SCHEMA_VERSION, json_schema, schema_text
from splatkit.usage import USAGE_LAYOUTS, WAIT_SCALES, decode_usage, wait_type_name

SCHEMA = json_schema()
VALIDATOR = Draft202012Validator(SCHEMA)
DEFS = SCHEMA["$defs"]
CASES = sorted((Path(__file__).parent / "cases").glob("*.splat"))
WILD_FILES = sorted((WILD / "splats").glob("*.txt"))


def output(text: str) -> list[dict]:
    """What ``splatkit json`` prints for ``text``, read back."""
    return json.loads(json.dumps([splat.to_dict() for splat in splatkit.parse(text)]))


def resolve(schema: dict, seen: set[str]) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        seen.add(name)
        schema = DEFS[name]
    return schema


def walk(value: object, schema: dict, path: str = "", seen: set[str] | None = None
         ) -> Iterator[tuple[str, str, dict | None]]:
    """(path, key, schema of the key) of every key of every object in ``value``, read together
    with ``schema``: the key's schema is None when the schema does not document the key. The
    ``$defs`` that describe a value (not null, not an empty list) are added to ``seen``."""
    seen = set() if seen is None else seen
    if value is None or value == []:
        return
    schema = resolve(schema, seen)
    if "anyOf" in schema:  # (one schema or null; the value is not null)
        (schema,) = [s for s in schema["anyOf"] if s != {"type": "null"}]
        schema = resolve(schema, seen)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            yield path, key, properties.get(key)
            if key in properties:
                yield from walk(item, properties[key], f"{path}.{key}", seen)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            items = schema["prefixItems"][n] if "prefixItems" in schema else schema["items"]
            yield from walk(item, items, f"{path}[{n}]", seen)


def check(reports: list[dict], where: str) -> None:
    """``reports`` validate against the schema, and every key in them is described there."""
    error = best_match(VALIDATOR.iter_errors(reports))
    assert error is None, f"{where}: {error.json_path}: {error.message}"
    undocumented = [f"{path}.{key}" for path, key, schema in walk(reports, SCHEMA)
                    if schema is None or not schema.get("description")]
    assert undocumented == [], f"{where}: keys without a description in the schema: {undocumented}"


def lock_dicts(value: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict]]:
    """(keys to it, lock) of every lock (``$defs/lock``) in a report's JSON, wherever it sits."""
    if isinstance(value, dict):
        if "usage_bits" in value:
            yield path, value
        for key, item in value.items():
            yield from lock_dicts(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from lock_dicts(item, path)


# -- the schema itself --------------------------------------------------------------------------------

def test_the_schema_is_valid_draft_2020_12():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] == SCHEMA_ID and SCHEMA_ID.endswith(f"/{SCHEMA_VERSION}")
    assert SCHEMA_FILE == f"splat-{SCHEMA_VERSION}.json"
    assert SCHEMA["type"] == "array" and SCHEMA["items"] == {"$ref": "#/$defs/report"}


def schemas(node: object, path: str = "#") -> Iterator[tuple[str, dict]]:
    """Every subschema of ``node`` with its JSON pointer."""
    if isinstance(node, dict):
        if "type" in node or "$ref" in node or "anyOf" in node:
            yield path, node
        for key, value in node.items():
            if key not in ("enum", "required"):
                yield from schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from schemas(value, f"{path}/{n}")


def test_every_object_is_closed_and_every_key_described():
    """A key added to ``to_dict`` without documentation fails validation (``additionalProperties``),
    and every key the schema names is described, present in every object, and typed."""
    objects = [(path, s) for path, s in schemas(SCHEMA) if s.get("type") == "object"]
    assert [path for path, _ in objects if path.rpartition("/")[0] != "#/$defs"] == []  # (each one named)
    for path, schema in objects:
        assert schema["additionalProperties"] is False, path
        assert schema["required"] == list(schema["properties"]), path
        assert schema["description"].strip(), path
        for key, sub in schema["properties"].items():
            assert sub.get("description", "").strip(), f"{path}/properties/{key}"
            assert {"type", "$ref", "anyOf"} & set(sub), f"{path}/properties/{key} has no type"


def test_closed_sets_are_the_tables():
    report = DEFS["report"]["properties"]
    assert report["kind"]["enum"] == [k.kind for k in KINDS]
    assert report["usage_layout"]["enum"] == [*USAGE_LAYOUTS, None]
    assert report["wait_scale"]["enum"] == [*WAIT_SCALES, None]
    (names,) = [s["enum"] for s in DEFS["wait_types"]["properties"]["inner"]["anyOf"] if "enum" in s]
    assert set(names) == {name for scale in WAIT_SCALES.values() for name in scale.names}
    bit = DEFS["usage_bit"]["properties"]
    assert set(bit["state"]["enum"]) == {state for layout in USAGE_LAYOUTS.values() for state, _ in layout.positions}
    assert set(bit["char"]["enum"]) == {char for layout in USAGE_LAYOUTS.values() for char in layout.symbols}
    events = {section.trace for section in SECTIONS.values() if section.trace}
    assert set(DEFS["state_trace"]["properties"]["event"]["enum"]) == events | {"usage"}
    # A lock line of a section that fills no Splat field is one of other_locks, by role
    # ("other" stands for the safe/unsafe side its header names).
    roles = {section.field for section in SECTIONS.values() if "lock" in section.body} - set(Splat.__dataclass_fields__)
    assert roles - {"other"} <= set(DEFS["other_lock"]["properties"]["role"]["enum"])


def test_the_schema_ships_with_the_package():
    tomllib = pytest.importorskip("tomllib")
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "splatkit.schema" in setuptools["packages"]
    assert any(Path(SCHEMA_FILE).match(glob) for glob in setuptools["package-data"]["splatkit.schema"])
    assert (Path(splatkit.schema.__file__).parent / SCHEMA_FILE).is_file()


# -- every report of every corpus ---------------------------------------------------------------------

def test_the_seed_validates(seed_text):
    check(output(seed_text), "bundled seed")


def test_the_seed_email_validates(shared_dir):
    if not SEED_EMAIL.is_file():
        pytest.skip(f"seed e-mail not found at {SEED_EMAIL}")
    reports = output(SEED_EMAIL.read_text(encoding="utf-8", errors="replace"))
    assert reports
    check(reports, SEED_EMAIL.name)


def test_every_syzkaller_report_validates(corpus_file, corpus_dir):
    reports = output(read_log(corpus_dir / "report" / corpus_file))
    assert reports
    check(reports, corpus_file)


@pytest.mark.parametrize("path", WILD_FILES or [pytest.param(
    None, marks=pytest.mark.skip(reason=f"wild corpus not found at {WILD}"))], ids=lambda p: p.name[:3] if p else "")
def test_every_wild_report_validates(path):
    reports = output(path.read_text(encoding="utf-8", errors="replace"))
    assert reports
    check(reports, path.name)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_every_golden_case_validates(path):
    reports = output(path.read_text(encoding="utf-8").partition("\n\n")[2])
    assert len(reports) == 1
    check(reports, path.name)


def test_the_golden_cases_use_every_part_of_the_schema(seed_text):
    """Each ``$defs`` entry describes data some report has: no part of the schema is dead."""
    damaged = seed_text.splitlines()
    damaged.insert(20, "this line is not lockdep's")  # (golden cases have no unrecognised line)
    texts = [p.read_text(encoding="utf-8").partition("\n\n")[2] for p in CASES] + ["\n".join(damaged)]
    used: set[str] = set()
    for text in texts:
        for _ in walk(output(text), SCHEMA, seen=used):
            pass
    assert sorted(set(DEFS) - used) == []


# -- what the format adds to the printed text: usages decoded, wait types named, dependencies ----------

def test_every_lock_is_decoded_with_its_reports_era():
    """Every lock, however deep (held-lock dumps, dependency paths, the new dependency...), gets
    its usage decoded with the report's layout and its wait types named on the report's scale."""
    texts = {path.name: path.read_text(encoding="utf-8").partition("\n\n")[2] for path in CASES}
    # A dump alone tells its era only by 6-character usages (2.6.30-4.13, before wait types).
    dump = texts["held_locks_dump-6.x-hung-task.splat"]
    texts["held_locks_dump, 4.x usage"] = dump.replace("{+.+.}-{3:3}", "{+.+...}")
    decoded = set()
    for name, text in texts.items():
        (splat,) = splatkit.parse(text)
        for keys, lock in lock_dicts(json.loads(json.dumps(splat.to_dict()))):
            if lock["usage"] is not None and splat.usage_layout is not None:
                expected = [b.to_dict() for b in decode_usage(lock["usage"], splat.usage_layout)]
                assert lock["usage_bits"] == expected, (name, keys)
                decoded.add(keys[0])
            else:
                assert lock["usage_bits"] is None, (name, keys)
            if lock["wait"] is not None:
                outer, inner = map(int, lock["wait"].split(":"))
                assert lock["wait_types"] == {"outer": wait_type_name(outer, splat.wait_scale),
                                              "inner": wait_type_name(inner, splat.wait_scale)}, (name, keys)
            else:
                assert lock["wait_types"] is None, (name, keys)
    assert sorted(decoded) == sorted(["acquiring", "holding", "chain", "held_locks", "held_lock_dumps",
                                      "new_dependency", "other_locks", "dependency_paths"])


def test_usage_decoded_in_the_seed(seed_splat):
    """``kvm_lock {+.+.}`` on 6.9 (4.14's layout, '+' irq-unsafe): taken with hardirqs and with
    softirqs enabled, never read-acquired, never in irq context (lockdep-design.rst)."""
    (kvm_lock,) = [e["lock"] for e in seed_splat.to_dict()["chain"] if e["lock"]["name"] == "kvm_lock"]
    assert [(b["state"], b["access"], b["meaning"]) for b in kvm_lock["usage_bits"]] == [
        ("HARDIRQ", "W", "irq-unsafe"), ("HARDIRQ", "R", "unused"),
        ("SOFTIRQ", "W", "irq-unsafe"), ("SOFTIRQ", "R", "unused")]
    # {3:3} is a sleeping lock on one scale and a spinlock_t on the other: the seed does not say which.
    assert kvm_lock["wait"] == "3:3" and kvm_lock["wait_types"] == {"outer": None, "inner": None}


def test_usage_decoded_in_the_2_6_18_layout():
    """2.6.18-2.6.29 print HARDIRQ-W, SOFTIRQ-W, HARDIRQ-R, SOFTIRQ-R with '+' irq-safe: the
    lock now taken in softirq context ({in-softirq-W}) is SOFTIRQ-W irq-safe."""
    path = next(p for p in CASES if p.stem == "inconsistent_state-2.6.2x-lowercase")
    (report,) = output(path.read_text(encoding="utf-8").partition("\n\n")[2])
    assert report["acquiring"]["usage"] == "-+.."
    bits = {(b["state"], b["access"]): b["meaning"] for b in report["acquiring"]["usage_bits"]}
    assert bits == {("HARDIRQ", "W"): "irq-unsafe", ("SOFTIRQ", "W"): "irq-safe",
                    ("HARDIRQ", "R"): "unused", ("SOFTIRQ", "R"): "unused"}


def test_wait_types_named_in_an_invalid_wait_report():
    """6.13 (PROVE_RAW_LOCK_NESTING on): a mutex ({4:4}, LD_WAIT_SLEEP) taken in a context of
    LD_WAIT_SPIN (context-{2:2}, under the raw spinlock &dev->irq_lock {2:2})."""
    path = next(p for p in CASES if p.stem == "invalid_wait-6.13-raw-nesting")
    (report,) = output(path.read_text(encoding="utf-8").partition("\n\n")[2])
    assert report["acquiring"]["wait_types"] == {"outer": "LD_WAIT_SLEEP", "inner": "LD_WAIT_SLEEP"}
    assert report["wait_context_types"] == {"outer": "LD_WAIT_SPIN", "inner": "LD_WAIT_SPIN"}
    assert report["held_locks"][0]["lock"]["wait_types"] == {"outer": "LD_WAIT_SPIN", "inner": "LD_WAIT_SPIN"}


def test_dependencies_are_the_cycle_of_a_whole_chain(seed_splat):
    data = seed_splat.to_dict()
    cycle = data["cycle"]
    assert {(d["held"], d["acquired"]) for d in data["dependencies"]} == set(zip(cycle, cycle[1:] + cycle[:1]))
    by_index = {e["index"]: e for e in data["chain"]}
    for dependency in data["dependencies"]:
        assert by_index[dependency["chain_index"]]["lock"]["name"] == dependency["acquired"]


def test_dependencies_of_every_whole_corpus_chain(corpus_file, corpus_dir):
    """On every corpus report whose chain is printed whole, the dependencies close its cycle."""
    for report in output(read_log(corpus_dir / "report" / corpus_file)):
        indices = sorted(e["index"] for e in report["chain"])
        if not indices or indices != list(range(len(indices))) or len(report["cycle"]) != len(indices):
            continue
        cycle = report["cycle"]
        assert sorted((d["held"], d["acquired"]) for d in report["dependencies"]) == sorted(
            zip(cycle, cycle[1:] + cycle[:1])), corpus_file


# -- the command line ---------------------------------------------------------------------------------

def test_json_schema_prints_the_shipped_file():
    result = subprocess.run([sys.executable, "-m", "splatkit", "json", "--schema"], capture_output=True, timeout=120)
    assert result.returncode == 0 and result.stderr == b""
    assert result.stdout == (Path(splatkit.schema.__file__).parent / SCHEMA_FILE).read_bytes()
    assert result.stdout.decode() == schema_text()


def test_json_output_validates(seed_path, capsys):
    assert main(["json", "--indent", str(seed_path)]) == 0
    check(json.loads(capsys.readouterr().out), "splatkit json")


@pytest.mark.parametrize("args, message", [
    (["json"], "splatkit: json needs a FILE ('-' for standard input), or --schema for the JSON Schema of its output"),
    (["json", "--schema", "x.txt"], "splatkit: json --schema prints the JSON Schema of the output and reads no "
                                    "FILE; drop 'x.txt' or drop --schema"),
])
def test_json_usage_errors_are_one_line(args, message, capsys):
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == message + "\n"
