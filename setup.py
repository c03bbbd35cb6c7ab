"""The build steps pyproject.toml cannot express: the start-up hook, and the optional compiled build.

``logprov-children.pth`` goes to the top of ``site-packages``, where the interpreter runs it at
every start; it imports logprov only when the environment variable ``LOGPROV_CHILD_STATE`` is
set (see docs/child-processes.md). A wheel gets the file at its root; an editable install
(``pip install -e .``) gets it in the editable wheel, next to setuptools' own ``.pth`` file.

With ``LOGPROV_COMPILE=1`` in the environment, the modules named in ``logprov/compiled.py``
are compiled with mypyc into the wheel, beside their sources (see docs/performance.md).
"""

import ast
import os
from pathlib import Path
from typing import Any, List

from setuptools import setup
from setuptools.command.build_py import build_py

PTH_FILE = "logprov-children.pth"
PTH_LINE = (
    'import os; os.environ.get("LOGPROV_CHILD_STATE") and '
    '__import__("logprov.capture.children").capture.children.start_child()\n'
)


class build_py_with_hook(build_py):
    """`build_py` that also writes the start-up hook where the wheel's top directory is built."""

    def run(self) -> None:
        super().run()
        for directory in self._hook_directories():
            Path(directory).mkdir(parents=True, exist_ok=True)
            Path(directory, PTH_FILE).write_text(PTH_LINE, encoding="utf-8")

    def _hook_directories(self) -> list[str]:
        directories = [self.build_lib]
        if getattr(self, "editable_mode", False):
            # An editable wheel is made of what `install` puts in its ``install_lib``; the
            # modules themselves stay in the project and build_lib is thrown away.
            directories.append(self.get_finalized_command("install").install_lib)
        return directories

    def get_outputs(self, *args: Any, **kwargs: Any) -> list[str]:
        return [*super().get_outputs(*args, **kwargs), str(Path(self.build_lib, PTH_FILE))]


def compiled_sources() -> List[str]:
    """Return the source files of the modules listed in ``logprov/compiled.py``."""
    tree = ast.parse(Path("logprov", "compiled.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "COMPILED_MODULES":
            names = ast.literal_eval(node.value)  # type: ignore[arg-type]
            return [name.replace(".", "/") + ".py" for name in names]
    raise RuntimeError("logprov/compiled.py has no COMPILED_MODULES")


def extensions() -> List[Any]:
    """Return the mypyc extensions when ``LOGPROV_COMPILE=1``, else none."""
    if os.environ.get("LOGPROV_COMPILE") != "1":
        return []
    from mypyc.build import mypycify

    return mypycify(compiled_sources(), opt_level="3")


setup(cmdclass={"build_py": build_py_with_hook}, ext_modules=extensions())
