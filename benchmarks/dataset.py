"""Generated benchmark sets, cached on disk by seed (the generator is deterministic)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Seeds: TUNING_SEED may be looked at while tuning; HELD_OUT_SEED never is. Targets are
# reported on the held-out seed.
TUNING_SEED = 1000
HELD_OUT_SEED = 7301
CACHE = Path(__file__).resolve().parent.parent / ".sohoa" / "bench"


@dataclass(frozen=True, slots=True)
class Sample:
    path: Path
    truth: dict

    @property
    def kind(self) -> str:
        return self.truth["kind"]

    @property
    def level(self) -> str:
        return self.truth["level"]


def load_set(seed: int, count: int, kinds: list[str] | None, levels: list[str]) -> list[Sample]:
    name = f"seed{seed}-n{count}-{'_'.join(kinds or ['all'])}-{'_'.join(levels)}"
    out = CACHE / name
    manifest = out / "manifest.json"
    if not manifest.exists():
        # In a child process: generating pages must not count in the benchmark's memory.
        command = [
            sys.executable,
            "-m",
            "samples.generate",
            "--out",
            str(out),
            "--seed",
            str(seed),
            "--count",
            str(count),
            "--levels",
            ",".join(levels),
        ]
        if kinds:
            command += ["--kinds", ",".join(kinds)]
        subprocess.run(command, check=True)
    entries = json.loads(manifest.read_text(encoding="utf-8"))
    samples = []
    for entry in entries["documents"]:
        truth = json.loads((out / entry["truth"]).read_text(encoding="utf-8"))
        samples.append(Sample(out / entry["file"], truth))
    return samples
