"""The live quality check of uploaded pages (counter screen): image measures, no full OCR.

    check_file(data, info, thresholds, rotation=0) -> [PageCheck, ...]   one per page
    is_duplicate(fingerprint_a, fingerprint_b, thresholds) -> bool

Method, thresholds and the measured figures: docs/QUALITY.md.
"""

from pipeline.pages.quality.check import PageCheck, check_file, check_page, is_duplicate
from pipeline.pages.quality.settings import QualityThresholds

__all__ = ["PageCheck", "QualityThresholds", "check_file", "check_page", "is_duplicate"]
