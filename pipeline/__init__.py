"""Reading pipeline: file bytes -> pages -> text lines -> first fields.

Pure stages (no I/O beyond the bytes they are handed); OCR engines sit behind the
Protocols in `pipeline.ocr.engines`. `pipeline.reader` is the one orchestrator.
"""
