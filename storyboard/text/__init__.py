"""The text engine: Unicode-correct lettering in every script comics are written in.

- `fonts`: font faces (TTF, OTF/CFF, TTC/OTC with a face index) and the fallback chain
  (`FontChain`): every character is drawn by the first face of the chain that has it.
- `breaking`: line breaking by the Unicode line breaking algorithm (UAX #14, uniseg), soft
  hyphens, zero-width spaces, and pyphen hyphenation as a last resort.
- `phrases`: where Japanese and Chinese lines had best end (BudouX phrase ends).
- `shaping`: HarfBuzz shaping of each font run, bidi (UAX #9) for right-to-left text, and
  vertical (top-to-bottom) columns with the fonts' vertical forms.
- `draw`: the shaped glyphs as outlines into a PDF (vector paths, plus an invisible text
  layer in the embedded fonts so the text extracts in logical order); PNG pages paint the
  same outlines (`storyboard.export.canvas`), so both outputs show the same glyphs.

Nothing heavy is imported until text is actually laid out.
"""

from storyboard.text.draw import draw_text_pdf
from storyboard.text.fonts import FontChain, bundled_chain, load_chain

__all__ = ["FontChain", "bundled_chain", "draw_text_pdf", "load_chain"]
