"""Only what pyproject.toml cannot say: the production wheel leaves out the development runner.

`webapp/devrun.py` (`make run`: seeds and starts the sandbox beside the console) is a module inside the
`webapp` package, and setuptools' package discovery can exclude packages (the sandbox is excluded in
pyproject.toml) but not single modules. tests/unit/test_dependencies.py builds the wheel and checks both.
"""

from __future__ import annotations

from setuptools import setup
from setuptools.command.build_py import build_py

DEVELOPMENT_ONLY = {("webapp", "devrun")}


class BuildPyWithoutDevelopmentModules(build_py):
    def find_package_modules(self, package: str, package_dir: str) -> list[tuple[str, str, str]]:
        modules = super().find_package_modules(package, package_dir)
        return [entry for entry in modules if (entry[0], entry[1]) not in DEVELOPMENT_ONLY]


setup(cmdclass={"build_py": BuildPyWithoutDevelopmentModules})
