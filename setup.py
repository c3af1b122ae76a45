"""Package discovery that pyproject.toml alone cannot express.

Every (namespace) package under ``portal/`` is found, so a new sub-package ships without anyone listing it;
``templates/`` and ``translations/`` live at the top of the repository (editors and translators work there)
but ship inside the package as ``portal.templates`` and ``portal.translations``. Everything else about the
project is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

# Top-level folders that are installed as sub-packages of portal.
MAPPED = {"portal.templates": "templates", "portal.translations": "translations"}
SKIP = ["*__pycache__*"]


def packages() -> list[str]:
    """Every package of the distribution: portal's own and the mapped folders with their sub-folders."""
    found = find_namespace_packages(include=["portal", "portal.*"], exclude=SKIP)
    for name, folder in MAPPED.items():
        found += [name, *(f"{name}.{sub}" for sub in find_namespace_packages(where=folder, exclude=SKIP))]
    return sorted(found)


setup(packages=packages(), package_dir={"portal": "portal", **MAPPED})
