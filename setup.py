"""Build hook: a wheel carries the browser libraries (docs/dev/frontend.md), so a production
``pip install`` needs no Node. Everything else is in pyproject.toml."""

from __future__ import annotations

import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
VENDOR = ROOT / "src/kartoteka/core/static/vendor/tom-select/tom-select.complete.min.js"


class BuildWithBrowserLibraries(build_py):
    """Copy the npm files into static/vendor/ (bin/_assets.sh) before the package is built."""

    def run(self) -> None:
        assets = ROOT / "bin/_assets.sh"
        if assets.exists() and (ROOT / "package-lock.json").exists():
            subprocess.run(  # noqa: S603
                ["bash", "-c", ". bin/_assets.sh && ensure_assets"],  # noqa: S607
                cwd=ROOT,
                check=True,
            )
        if not VENDOR.exists():
            raise SystemExit(
                "The browser libraries are missing: run bin/_assets.sh (npm ci) before building."
            )
        super().run()


setup(cmdclass={"build_py": BuildWithBrowserLibraries})
