"""Model weights are verified before use; a wrong or missing model is refused clearly."""

import shutil

import pytest

from models.errors import ErrorCode
from pipeline.config import DetectorConfig, RecognizerConfig
from pipeline.errors import InputRefused
from pipeline.ocr.engines.paddle_detector import BUNDLED_FILES_SHA256, prepare_model_dir, sha256_file
from pipeline.ocr.engines.tesseract import find_tessdata


def test_bundled_detector_is_linked_after_its_checksum(tmp_path):
    model_dir = prepare_model_dir(DetectorConfig(), tmp_path)
    assert sha256_file(model_dir / "inference.onnx") == BUNDLED_FILES_SHA256["det.onnx"]
    assert (model_dir / "inference.yml").exists()
    assert prepare_model_dir(DetectorConfig(), tmp_path) == model_dir  # idempotent


def test_production_model_dir_with_wrong_checksum_is_refused(tmp_path):
    bundled = prepare_model_dir(DetectorConfig(), tmp_path / "cache")
    own = tmp_path / "models" / "det"
    own.mkdir(parents=True)
    shutil.copyfile(bundled / "inference.onnx", own / "inference.onnx")
    shutil.copyfile(bundled / "inference.yml", own / "inference.yml")
    good = DetectorConfig(model_dir=own, expected_sha256=BUNDLED_FILES_SHA256["det.onnx"])
    assert prepare_model_dir(good, tmp_path) == own
    with pytest.raises(InputRefused) as err:
        prepare_model_dir(good.model_copy(update={"expected_sha256": "0" * 64}), tmp_path)
    assert err.value.code == ErrorCode.MODEL_INVALID
    (own / "inference.onnx").unlink()
    with pytest.raises(InputRefused):
        prepare_model_dir(good, tmp_path)


def test_tessdata_is_found_or_refused(tmp_path):
    assert (find_tessdata(RecognizerConfig()) / "vie.traineddata").exists()
    with pytest.raises(InputRefused) as err:
        find_tessdata(RecognizerConfig(language="xxx", tessdata_dir=tmp_path))
    assert err.value.code == ErrorCode.MODEL_INVALID
