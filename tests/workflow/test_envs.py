"""envs/*.yaml (used with `--sdm conda`) pin the same versions as requirements.txt / requirements.lock."""

from __future__ import annotations

import re

import pytest
import yaml

from smk_helpers import REPO

ENVS = sorted((REPO / "envs").glob("*.yaml"))
NOT_PACKAGES = {"python", "pip"}  # the interpreter and installer of a conda env, not pinned by pip


def _name(name: str) -> str:
    """PEP 503 normalised project name (Jinja2 == jinja2, PyYAML == pyyaml, scikit_misc == scikit-misc)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)", line)
        assert m, f"{path.name}: not an exact pin: {line!r}"
        pins[_name(m[1])] = m[2]
    return pins


REQUIREMENTS = _pins(REPO / "requirements.txt")
LOCK = _pins(REPO / "requirements.lock")


def _env_packages(path) -> list[tuple[str, str | None, str]]:
    """(name, pinned version or None, as written) of every package an env installs, pip and conda."""
    env = yaml.safe_load(path.read_text())
    packages = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for entry in dep.get("pip", []):
                entry = entry.strip()
                if entry.startswith("-"):  # --extra-index-url and other pip options
                    continue
                m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(?:==\s*(\S+))?.*", entry)
                packages.append((_name(m[1]), m[2], entry))
            continue
        m = re.fullmatch(r"(?:[\w\-]+::)?([A-Za-z0-9_.\-]+)\s*(?:==?\s*(\S+))?", str(dep).strip())
        if _name(m[1]) not in NOT_PACKAGES:
            packages.append((_name(m[1]), m[2], str(dep)))
    return packages


def test_there_are_envs():
    assert {p.name for p in ENVS} >= {"model.yaml", "pipeline.yaml"}


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_env_pins_match_requirements(env):
    packages = _env_packages(env)
    assert packages, f"{env.name} installs nothing"
    problems = []
    for name, version, written in packages:
        if version is None:
            problems.append(f"{written!r} is not pinned (==)")
        elif name in REQUIREMENTS:
            if version.split("+")[0] != REQUIREMENTS[name]:
                problems.append(f"{name}=={version} but requirements.txt pins {REQUIREMENTS[name]}")
        elif name in LOCK:
            if version != LOCK[name]:
                problems.append(f"{name}=={version} but requirements.lock pins {LOCK[name]}")
        else:
            problems.append(f"{name} is pinned in neither requirements.txt nor requirements.lock")
    assert not problems, f"{env.name}: " + "; ".join(problems)


def test_requirements_agree_with_the_lock():
    wrong = {name: (v, LOCK.get(name)) for name, v in REQUIREMENTS.items() if LOCK.get(name) != v}
    assert not wrong, f"requirements.txt vs requirements.lock: {wrong}"


def test_the_check_catches_a_mismatch(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
                   "      - torch==2.12.0\n      - leftpad==1.0\n      - numpy\n")
    with pytest.raises(AssertionError) as info:
        test_env_pins_match_requirements(bad)
    message = str(info.value)
    assert "torch==2.12.0 but requirements.txt pins 2.13.0" in message
    assert "leftpad is pinned in neither" in message
    assert "'numpy' is not pinned" in message
