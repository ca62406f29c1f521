"""Stages 3–6: reading a page image.

Engines (`engines/`: the PP-OCR line detector, Tesseract, AsterNet) sit behind the Protocols
in `engines/__init__.py`. `preprocess` finds the page's quarter turn, `lines` crops and reads
each detected line, `order` puts lines in reading order (on the box geometry in `geometry`),
`second_read` reads field values again with an independent recognizer, `barcodes` decodes QR
codes, `handwriting` marks handwritten regions.
"""
