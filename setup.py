"""Build hook: the wheel ships the study notebooks and the demo parameters (metadata: pyproject.toml).

The study notebooks (``notebooks/*.ipynb``, built from ``notebooks/src/*.py``) and the demo parameters
(``params/demo.yaml``) live beside ``src/`` in a checkout, where JupyterLab users open them and the
notebooks' ``parameters`` cell points at ``../params/demo.yaml``. ``cxresearch run`` and ``cxresearch
demo`` need them in an installed package too, so ``build_py`` copies them into
``cxresearch/_bundled/notebooks/`` and ``cxresearch/_bundled/params/`` of the wheel (same relative
layout); ``MANIFEST.in`` puts them in the sdist. An editable install copies nothing: the package then
reads the checkout's folders (``cxresearch.report.params.project_path``). One copy is kept in git.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent

#: Checkout files shipped in the wheel under cxresearch/_bundled/, as (folder, glob pattern).
BUNDLED = (("notebooks", "[0-9]*.ipynb"), ("params", "demo.yaml"))


def _bundled_files() -> list[Path]:
    files = []
    for folder, pattern in BUNDLED:
        found = sorted((ROOT / folder).glob(pattern))
        if not found:
            raise FileNotFoundError(
                f"{ROOT / folder}/{pattern}: nothing to ship (an sdist without MANIFEST.in's files?)"
            )
        files += found
    return files


class BuildPyWithBundled(build_py):
    """``build_py`` that also copies :data:`BUNDLED` into ``<build_lib>/cxresearch/_bundled/``."""

    def _targets(self) -> list[tuple[Path, Path]]:
        out = Path(self.build_lib) / "cxresearch" / "_bundled"
        return [(f, out / f.relative_to(ROOT)) for f in _bundled_files()]

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's files
            return
        for src, dst in self._targets():
            self.mkpath(str(dst.parent))
            self.copy_file(str(src), str(dst))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        return outputs + [str(dst) for _, dst in self._targets()]


setup(cmdclass={"build_py": BuildPyWithBundled})
