"""Find handwriting on a page image: values written by hand into printed forms, notes, signatures.

A handwritten value must never be accepted by the OCR pipeline without a person looking at it, so
this module says *where* ink looks written by hand; the caller routes those crops to review.
`find_handwriting(image, lines)` is pure (no I/O) and fast: 50-80 ms for an A4 page at 300 dpi with
20-60 text lines on one CPU core; OpenCV and NumPy only, no trained model.

Method
0. A page whose text is tilted by more than 1.5 degrees (a photograph; the caller passes the tilt
   the OCR measured) is turned level first, with each line's box turned with it; the marks are
   given back in the coordinates of the page as it lies.
1. Ink. The page is analysed at a scale where a text line is ~35 px tall (an A4 page at 300 dpi: half
   size). A pixel is ink when it is darker than the local paper (brightest nearby 8 x 8 block mean)
   by 30 % of the paper's brightness. Seal red is not ink; long straight horizontal or vertical runs
   (table rules, frames, underlines, also when tilted by a scan) are taken out.
2. Connected components, each with its box, area, boundary length, mean colour, and a histogram of
   the tilts of its near-vertical edges (stems). Thin straight leftovers of rules are set aside.
3. Each component goes to the OCR line whose box holds its centre. Components outside every line are
   grouped into text-line-like clusters and analysed the same way (handwriting the OCR missed:
   notes, signatures); clusters that are mostly ink (photos, QR codes, logos), soft (photo shading),
   or huge are skipped. In each line, glyph-sized components are grouped into words at gaps wider
   than half a glyph height, and at changes between blue and other ink.
4. Evidence, as coarse log-likelihood ratios handwriting : print (positive = written):
   * twins, per glyph body: typeset glyphs of a line sit on one baseline and share a few heights, so
     nearly every one has a neighbour (within 6 places) with the same top *and* bottom to about a pixel
     (-0.45); a hand-drawn glyph often has none (+1.1);
   * copies, per glyph body: type prints every copy of a letter alike, so most typeset glyphs have
     a near-exact copy of the same size somewhere on the page (their 12 x 12 grids of darkness
     differ by under 5 %: -1.5); a hand never draws a letter twice alike, so a glyph whose nearest
     look-alike differs by over 10 % counts for writing. How much it counts is read off the page:
     up to +0.8 on a clean scan, where most printed glyphs have a copy; little on a blurred photo,
     where few do. Half that on a line where hardly any glyph has a copy: a line in a type used
     nowhere else on the page (an italic caption) prints most of its letters once;
   * cursive, per glyph body: a component whose stroke (half its boundary) is over 5 times its
     height is letters joined by the pen (+2); over 4 times, likely so (+1.2: 'm', 'w' get there too);
   * stems, per word of 3+ tall glyphs: typeset stems are parallel (upright or italic alike), so their
     tilts pile up in one peak (-1); hand-drawn ones spread out (up to +1.5);
   * colour, per word: mostly blue / violet ink (ballpoint; printed forms are black or grey):
     +2, +1 per letter's worth of ink, at most +6. Colour is never required: black pens and greyscale
     scans get the shape cues only. A long run (16+ glyphs) that is 85 % twins reads as type, and its
     colour then counts for nothing (a letterhead printed in blue).
5. A two-state labelling (print / handwriting) of the words of each line by dynamic programming, with
   a penalty for switching, finds the written part of a line such as "Họ và tên: <written>"; weak
   words at the ends of a run are shed. A run is reported when its evidence sums to 4 or more; its
   score is a logistic of that sum (about 0.62 at the threshold, 1.0 far above it).

Known limits: neat hand-printing in black ink (or on a greyscale scan) that keeps a steady baseline
and letter height is found by its lack of copies only, so a short value (one or two letters), a
line written wholly by hand, or a value on a photograph (where print keeps few exact copies either)
can still pass for type; blue-printed short words (table cells, letterheads) can be reported; a
value written right after its label with no gap may take the last glyphs of the label into its box;
lines under ~15 px tall are not analysed reliably.
"""

from pipeline.ocr.handwriting.detector import HandwritingMark, find_handwriting

__all__ = ["HandwritingMark", "find_handwriting"]
