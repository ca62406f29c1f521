"""Stage 1–2: from a file's bytes to page images or text layers.

`preflight` checks a file before anything decodes it (real type, limits, encryption);
`sources` yields its pages: a PDF page's own text layer where it is usable, otherwise the
page image to read.
"""
