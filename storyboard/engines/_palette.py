"""The draft's shared colours (RGB, 0-255): one place for those the panel, figures and props all use.

The pencil's ink, the paper and the flat shade a sketch fills with; colours only one drawer
uses stay in its own module.
"""

PAPER = (247, 244, 236)
GRAPHITE = (64, 66, 74)  # the pencil's ink: outlines of the panel, figures and props
SHADE = (196, 192, 184)
