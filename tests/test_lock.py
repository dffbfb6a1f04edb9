"""The lock files pin what pyproject.toml asks for, every file by its hash.

`make` and the Dockerfile install only from the lock files, so a dependency added to
pyproject.toml without `make lock` would be missing on every other machine: this fails first.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """Each pinned package of a lock file: its version and how many hashes follow it."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            marker = match.group(3)
            if marker and not Marker(marker).evaluate({"python_full_version": "3.11.9"}):
                name = None
                continue
            name = canonicalize_name(match.group(1))
            pins[name] = (match.group(2), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


LOCKS = {
    "requirements/base.txt": PYPROJECT["project"]["dependencies"],
    "requirements/dev.txt": PYPROJECT["project"]["dependencies"]
    + PYPROJECT["project"]["optional-dependencies"]["dev"],
}


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_the_lock_pins_every_dependency_within_its_declared_range(lock):
    pins = locked(ROOT / lock)
    for declared in LOCKS[lock]:
        requirement = Requirement(declared)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is missing from {lock}: run `make lock`"
        version, _hashes = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock} pins {requirement.name}=={version}, outside {requirement.specifier}"
        )


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_locked_package_carries_its_hashes(lock):
    pins = locked(ROOT / lock)
    assert pins
    assert [name for name, (_version, hashes) in pins.items() if not hashes] == []


def test_production_and_development_pin_the_same_versions():
    base = locked(ROOT / "requirements/base.txt")
    dev = locked(ROOT / "requirements/dev.txt")
    assert {name: dev[name][0] for name in base} == {name: v for name, (v, _h) in base.items()}
