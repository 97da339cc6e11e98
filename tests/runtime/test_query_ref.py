"""QueryRef: dotted paths, signed pickles, and refusal of bad references."""

from __future__ import annotations

import base64
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from django.core import signing

from esper_rekall.runtime import QueryRef, QueryRefError
from esper_rekall.runtime.query_ref import SALT
from tests.runtime import queries

KEY = "test-key-0123456789"


def _round_trip(ref: QueryRef) -> QueryRef:
    return QueryRef.from_json(json.loads(json.dumps(ref.to_json())))


def test_importable_function_travels_as_its_dotted_path() -> None:
    ref = QueryRef.from_function(queries.fails_on_zero)
    assert ref.to_json() == {"kind": "path", "path": "tests.runtime.queries:fails_on_zero"}
    assert _round_trip(ref).resolve() is queries.fails_on_zero


def test_function_outside_the_query_modules_travels_as_a_signed_pickle() -> None:
    ref = QueryRef.from_function(json.JSONEncoder.default, key=KEY)
    assert ref.kind == "pickle"
    assert _round_trip(ref).resolve(key=KEY) is json.JSONEncoder.default


@pytest.mark.parametrize(
    "path",
    [
        "subprocess:run",
        "subprocess:getoutput",
        "os:system",
        "builtins:eval",
        "shutil:rmtree",
        "esper_rekall.storage:delete_collection",
        "django.core.management:execute_from_command_line",
        "tests.runtimefake:query",
    ],
)
def test_path_outside_the_query_modules_is_refused_before_import(path: str) -> None:
    with pytest.raises(QueryRefError, match=r"is not under ESPER_REKALL_QUERY_MODULES"):
        QueryRef.from_json({"kind": "path", "path": path}).resolve()


def test_query_modules_setting_decides(settings: Any) -> None:
    settings.ESPER_REKALL_QUERY_MODULES = ["esper_rekall.queries"]
    with pytest.raises(QueryRefError, match=r"'tests.runtime.queries' is not under"):
        QueryRef.from_path("tests.runtime.queries:fails_on_zero").resolve()
    assert QueryRef.from_function(queries.fails_on_zero, key=KEY).kind == "pickle"


def test_lambda_travels_as_a_signed_pickle() -> None:
    ref = QueryRef.from_function(lambda vids: [v * 2 for v in vids], key=KEY)
    data = ref.to_json()
    assert data["kind"] == "pickle"
    assert data["name"] == "test_lambda_travels_as_a_signed_pickle.<locals>.<lambda>"
    assert _round_trip(ref).resolve(key=KEY)([1, 2]) == [2, 4]


def test_closure_keeps_its_captured_values() -> None:
    ref = QueryRef.from_function(queries.make_recording_query(Path("/nowhere")), key=KEY)
    fn = _round_trip(ref).resolve(key=KEY)
    assert fn.__closure__[0].cell_contents == Path("/nowhere")


def test_function_of_main_is_pickled_not_named() -> None:
    def main_query(vids):
        return vids

    main_query.__module__ = "__main__"
    main_query.__qualname__ = "main_query"
    assert QueryRef.from_function(main_query, key=KEY).kind == "pickle"


def test_pickle_is_signed_with_secret_key_by_default(settings) -> None:
    settings.SECRET_KEY = "project-secret-key-for-this-test"
    ref = QueryRef.from_function(lambda vids: len(vids))
    assert _round_trip(ref).resolve()([1, 2, 3]) == 3
    signing.Signer(salt=SALT).unsign(ref.to_json()["payload"])  # verifies


def test_pickle_signed_with_another_key_is_refused() -> None:
    ref = QueryRef.from_function(lambda vids: vids, key=KEY)
    with pytest.raises(QueryRefError, match="signature does not match"):
        _round_trip(ref).resolve(key="another-key")


def test_tampered_payload_is_refused() -> None:
    data = QueryRef.from_function(lambda vids: vids, key=KEY).to_json()
    text, _, signature = data["payload"].rpartition(":")
    evil = base64.urlsafe_b64encode(cloudpickle.dumps(lambda vids: "evil")).decode()
    data["payload"] = f"{evil}:{signature}"
    with pytest.raises(QueryRefError, match=r"refusing pickled query .*signature does not match"):
        QueryRef.from_json(data).resolve(key=KEY)


def test_unsigned_payload_is_refused() -> None:
    payload = base64.urlsafe_b64encode(cloudpickle.dumps(len)).decode()
    with pytest.raises(QueryRefError, match="it is not signed"):
        QueryRef.from_json({"kind": "pickle", "payload": payload}).resolve(key=KEY)


class _Boom:
    """Unpickling this creates a file: proves whether a payload was unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_refused_payload_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    text = base64.urlsafe_b64encode(pickle.dumps(_Boom(marker))).decode()
    forged = signing.Signer(key="attacker-key", salt=SALT, fallback_keys=[]).sign(text)
    for payload in (text, forged):
        with pytest.raises(QueryRefError):
            QueryRef.from_json({"kind": "pickle", "payload": payload}).resolve(key=KEY)
    assert not marker.exists()


def test_unknown_module_is_refused_naming_it() -> None:
    ref = QueryRef.from_json({"kind": "path", "path": "tests.runtime.no_such_module:query"})
    with pytest.raises(QueryRefError, match=r"cannot import module 'tests.runtime.no_such_module' of query path"):
        ref.resolve()


def test_missing_attribute_is_refused_naming_it() -> None:
    ref = QueryRef.from_path("tests.runtime.queries:no_such_query")
    with pytest.raises(QueryRefError, match=r"query path 'tests.runtime.queries:no_such_query': .* has no attribute 'no_such_query'"):
        ref.resolve()


def test_path_to_something_not_callable_is_refused() -> None:
    with pytest.raises(QueryRefError, match="is not callable"):
        QueryRef.from_path("tests.runtime.queries:SLOW_SECONDS").resolve()


@pytest.mark.parametrize("path", ["no_colon", "a:b:c", ":query", "module:"])
def test_malformed_path_is_refused(path: str) -> None:
    with pytest.raises(QueryRefError, match="must look like 'package.module:function'"):
        QueryRef.from_json({"kind": "path", "path": path}).resolve()


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "eval", "path": "os:system"},
        {"kind": "path"},
        {"kind": "pickle", "payload": 3},
        ["path", "os:system"],
    ],
)
def test_from_json_refuses_what_is_not_a_reference(data) -> None:
    with pytest.raises(QueryRefError, match="query reference must be"):
        QueryRef.from_json(data)


def test_non_callable_is_rejected() -> None:
    with pytest.raises(TypeError, match="a query must be callable, got 42"):
        QueryRef.from_function(42)


def test_pickling_without_settings_needs_an_explicit_key() -> None:
    code = (
        "from esper_rekall.runtime import QueryRef, QueryRefError\n"
        "assert QueryRef.from_function(len, key='k').kind == 'pickle'\n"
        "ref = QueryRef.from_function(lambda v: v, key='k')\n"
        "assert ref.resolve(key='k')([1]) == [1]\n"
        "try:\n"
        "    QueryRef.from_function(lambda v: v)\n"
        "except QueryRefError as e:\n"
        "    print(e)\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    assert "Django settings are not configured; pass key=... explicitly" in out
