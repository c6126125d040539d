"""The JSON format of ``splatkit json`` and ``Splat.to_dict()``, as a versioned JSON Schema.

The schema (draft 2020-12) ships in this package as ``splat-1.json``; ``splatkit json
--schema`` prints it. It describes what ``splatkit json FILE`` prints, a JSON array with one
object per report, and one report (``Splat.to_dict()``) as ``#/$defs/report``; every key
carries a ``description`` in lockdep's words (lock class, dependency, usage, held lock, wait
type, chain) and every object is closed (``additionalProperties: false``).

The version is in the schema's ``$id`` (:data:`SCHEMA_ID`). Within a version, keys and
values of closed sets (a new report kind) may be added; removing or renaming a key, or
changing its type or meaning, makes a new version with a new ``$id`` and file.

>>> json_schema()["$id"] == SCHEMA_ID
True
>>> sorted(json_schema()["$defs"]["lock"]["properties"])[-2:]
['wait', 'wait_types']
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

__all__ = ["SCHEMA_FILE", "SCHEMA_ID", "SCHEMA_VERSION", "json_schema", "schema_text"]

#: The version of the JSON format: the last part of :data:`SCHEMA_ID`.
SCHEMA_VERSION = 1
#: The schema's ``$id``: a name, not a URL to fetch (``.invalid`` never resolves).
SCHEMA_ID = f"https://splatkit.invalid/schema/splat/{SCHEMA_VERSION}"
#: The file in this package that holds the schema.
SCHEMA_FILE = f"splat-{SCHEMA_VERSION}.json"


def schema_text() -> str:
    """The schema file as shipped (what ``splatkit json --schema`` prints)."""
    return files(__name__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def json_schema() -> dict[str, Any]:
    """The schema as a new dict (a caller may change it freely).

    Returns
    -------
    dict
        The draft 2020-12 JSON Schema of ``splatkit json``'s output; one report is
        ``{"$ref": SCHEMA_ID + "#/$defs/report"}`` with this schema registered.
    """
    return json.loads(schema_text())
