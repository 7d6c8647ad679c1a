"""Sphinx configuration of the bcdnet documentation.

Build: ``pip install ".[docs]"`` then ``sphinx-build -W -b html docs docs/_build/html``
from the repository root.  The build needs no network (no intersphinx); MathJax is
loaded by the reader's browser.  ``BCDNET_DOCS_QUICK=1`` renders the gallery without
running the examples (for a fast check of the text).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))           # the checkout's bcdnet, installed or not
sys.path.insert(0, str(ROOT / "docs"))  # bcdnet_scraper
os.environ.setdefault("MPLBACKEND", "Agg")

import bcdnet  # noqa: E402

project = "bcdnet"
author = "The bcdnet developers"
copyright = "the bcdnet developers, BSD-3-Clause"
version = release = bcdnet.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]

autosummary_generate = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"          # the numpydoc sections carry the types, with shapes
numpydoc_show_class_members = False  # members are documented by autodoc, once
numpydoc_xref_param_type = False
numpydoc_class_members_toctree = False

html_theme = "pydata_sphinx_theme"
html_title = f"bcdnet {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
html_static_path = []

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # Every plot_*.py is executed during the build; other files are shown, not run.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py|custom_components\.py",
    "plot_gallery": "False" if os.environ.get("BCDNET_DOCS_QUICK") else "True",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "image_scrapers": ("bcdnet_scraper.scrape", "matplotlib"),
    "abort_on_example_error": True,
}
