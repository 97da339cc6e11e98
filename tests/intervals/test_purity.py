"""The pure layer must never import Django."""

from __future__ import annotations

import subprocess
import sys

from tests.fresh_interpreter import packages_loaded_by


def test_importing_the_pure_layer_does_not_import_django():
    imports = (
        "import esper_rekall.intervals.interval, esper_rekall.intervals.interval_set\n"
        "import esper_rekall.intervals.collection, esper_rekall.intervals.kernels\n"
        "import esper_rekall.intervals.match, esper_rekall.intervals.errors\n"
        "import esper_rekall.intervals"
    )
    assert packages_loaded_by(imports, ("django",)) == []


#: Makes Django and the app's Django-side packages unimportable in a child interpreter.
BLOCK_DJANGO = (
    "import sys\n"
    "class _Blocked:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'django' or name.startswith(('django.', 'esper_rekall.db', 'esper_rekall.viewer',\n"
    "                                                'esper_rekall.models')):\n"
    "            raise ImportError(f'{name} is blocked in this test')\n"
    "sys.meta_path.insert(0, _Blocked())\n"
)


def _run_blocked(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK_DJANGO + code], capture_output=True, text=True)


def test_from_django_qs_on_a_duck_typed_queryset_without_the_app_is_a_clear_error():
    result = _run_blocked(
        "from esper_rekall.intervals import DomainIntervalCollection\n"
        "class FakeQuerySet:\n"
        "    query = model = None\n"
        "    def values_list(self, *a): return []\n"
        "    def iterator(self): return iter(())\n"
        "try:\n"
        "    DomainIntervalCollection.from_django_qs(FakeQuerySet())\n"
        "except RuntimeError as e:\n"
        "    print(e)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "without the esper_rekall Django app" in result.stdout


def test_repr_html_without_the_app_falls_back_to_plain_text():
    result = _run_blocked(
        "from esper_rekall.intervals import DomainIntervalCollection, IntervalSet3D, Interval3D\n"
        "coll = DomainIntervalCollection({1: IntervalSet3D([Interval3D((0, 1))])})\n"
        "assert coll._repr_html_() is None\n"
        "print(repr(coll))\n"
    )
    assert result.returncode == 0, result.stderr
    assert "<DomainIntervalCollection domains=1 intervals=1>" in result.stdout


def test_the_app_registers_the_loader_and_the_notebook_html(db: None) -> None:
    from esper_rekall.intervals import DomainIntervalCollection, Interval3D, IntervalSet3D
    from esper_rekall.models import Shot

    html = DomainIntervalCollection({1: IntervalSet3D([Interval3D((0, 1))])})._repr_html_()
    assert html is not None and "<" in html
    assert isinstance(DomainIntervalCollection.from_django_qs(Shot.objects.none()), DomainIntervalCollection)
