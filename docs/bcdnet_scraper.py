"""A sphinx-gallery image scraper for the figures :mod:`bcdnet.plotting` returns.

bcdnet's plots are ``matplotlib.figure.Figure`` objects made without pyplot (so a library
never opens a window), which the default scraper, looking at pyplot's figures, misses.  This
one also saves every Figure an example holds in a global variable, once.
"""

import weakref

from matplotlib.figure import Figure
from sphinx_gallery.scrapers import figure_rst

_seen = weakref.WeakSet()


def scrape(block, block_vars, gallery_conf, **kwargs):
    """Save the new Figures among the example's globals; return their reST."""
    paths = []
    for value in list(block_vars["example_globals"].values()):
        if not isinstance(value, Figure) or value in _seen:
            continue
        _seen.add(value)
        if value.canvas.manager is not None:      # a pyplot figure: the matplotlib scraper's
            continue
        path = next(block_vars["image_path_iterator"])
        value.savefig(path, dpi=96)
        paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])
