"""The scenario of logprov 0.0.2's own test script, traced with the current capture."""

from __future__ import annotations

import shutil
from pathlib import Path

LEGACY_DEFINITIONS = {
    "activity_descriptions": {
        "regular_function": {
            "description": "set initial value of global_var",
            "parameters": [{"value": "kwargs.value"}],
            "generation": [{"role": "global_var", "entity_description": "MyObject", "value": "global_var"}],
        },
        "set_var1": {
            "description": "set initial value of var1",
            "parameters": [{"value": "kwargs.value"}],
            "generation": [{"role": "var1", "entity_description": "MyObject", "value": "var1"}],
        },
        "set_var2": {
            "description": "set value of var2 using var1",
            "usage": [
                {"role": "var1", "entity_description": "MyObject", "value": "var1"},
                {"role": "global_var", "entity_description": "MyObject", "value": "global_var"},
                {"role": "local_var", "entity_description": "MyObject", "value": "local_var"},
            ],
            "generation": [{"role": "var2", "entity_description": "MyObject", "value": "var2"}],
        },
        "write_file": {
            "description": "write var1 and var2 in a text file",
            "parameters": [{"value": "kwargs.filename"}],
            "usage": [
                {"role": "var1", "entity_description": "MyObject", "value": "var1"},
                {"role": "var2", "entity_description": "MyObject", "value": "var2"},
            ],
            "generation": [
                {"role": "text file", "entity_description": "File", "location": "kwargs.filename", "namespace": "file"}
            ],
        },
        "read_file": {
            "description": "read var1 and var2 from a text file",
            "parameters": [{"value": "kwargs.filename"}],
            "usage": [{"role": "text file", "entity_description": "File", "location": "kwargs.filename", "namespace": "file"}],
            "generation": [
                {"role": "var1", "entity_description": "MyObject", "value": "var1"},
                {"role": "var2", "entity_description": "MyObject", "value": "var2"},
            ],
        },
    },
    "entity_descriptions": {
        "MyObject": {"description": "A Python variable in memory", "type": "PythonObject"},
        "File": {"description": "A File on the disk", "type": "File"},
    },
}

global_var = None


def regular_function(value=100):
    """Set the module's global variable."""
    global global_var
    global_var = value


class MyClass:
    """A class whose methods read and write instance variables and files."""

    def __init__(self):
        self.var1 = 0
        self.var2 = 0

    def set_var1(self, value=1):
        self.var1 = value

    def set_var2(self):
        self.var2 = self.var1 + global_var + 12

    def write_file(self, filename="prov_test1.txt"):
        Path(filename).write_text(f"{self.var1} {self.var2}\n")

    def read_file(self, filename="prov_test2.txt"):
        first, second = Path(filename).read_text().split()
        self.var1, self.var2 = int(first), int(second)


def run(capture, workdir: Path) -> MyClass:
    """Trace the scenario's function and class with ``capture`` and run it in ``workdir``."""
    traced_function = capture.trace(regular_function)
    cls = capture.trace_methods(type("MyClass", (MyClass,), {"__module__": __name__}))
    traced_function(value=100)
    obj = cls()
    obj.set_var1(value=1)
    obj.set_var1(value=2)
    obj.var1 = 0
    obj.set_var2()
    first, second = workdir / "prov_test1.txt", workdir / "prov_test2.txt"
    obj.write_file(filename=str(first))
    shutil.copy(first, second)
    obj.read_file(filename=str(second))
    obj.set_var2()
    return obj
