"""Third-party browser code is served from the repository, never a CDN: what
scripts/vendor-web.sh copied under api/web/static/vendor/ is exactly what SHA256SUMS lists (no
file edited, added or missing), and it is the version package-lock.json pins."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "api" / "web" / "static" / "vendor"
LOCK = ROOT / "api" / "web" / "vendor" / "package-lock.json"
PACKAGE = ROOT / "api" / "web" / "vendor" / "package.json"
PACKAGES = sorted(p.name for p in VENDOR.iterdir() if p.is_dir())


def _sums(folder: Path) -> dict[str, str]:
    listed = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.lstrip("*")] = digest
    return listed


def _locked(name: str) -> str:
    return json.loads(LOCK.read_text(encoding="utf-8"))["packages"][f"node_modules/{name}"]["version"]


def test_something_is_vendored():
    assert "openseadragon" in PACKAGES


@pytest.mark.parametrize("name", PACKAGES)
def test_every_vendored_file_matches_its_checksum(name: str):
    folder = VENDOR / name
    listed = _sums(folder)
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
    assert present == set(listed), "files added or missing since scripts/vendor-web.sh ran"
    changed = [n for n, digest in listed.items() if hashlib.sha256((folder / n).read_bytes()).hexdigest() != digest]
    assert changed == []


@pytest.mark.parametrize("name", PACKAGES)
def test_the_vendored_version_is_the_locked_one(name: str):
    pinned = json.loads(PACKAGE.read_text(encoding="utf-8"))["dependencies"][name]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "an exact version, not a range"
    assert _locked(name) == pinned
    folder = VENDOR / name
    assert (folder / "VERSION").read_text(encoding="utf-8").strip() == pinned
    # The build's own banner says which release it is.
    banner = (folder / f"{name}.min.js").read_text(encoding="utf-8")[:200]
    assert f"{name} {pinned}" in banner


def test_the_lock_pins_an_integrity_hash():
    entry = json.loads(LOCK.read_text(encoding="utf-8"))["packages"]["node_modules/openseadragon"]
    assert entry["integrity"].startswith("sha512-")
