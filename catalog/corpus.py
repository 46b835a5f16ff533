"""The text corpora the language models trained here learn from, built offline from files every
install of the project has (``harness.models.corpus``: dedup, 80/20 prose/code mix, split, hashes).

Sources of ``TEXT_CORPUS`` and their licences:

- ``python-stdlib`` (code): the ``.py`` files of the running Python's standard library, its tests
  included, site-packages excluded. Python Software Foundation License.
- ``package-metadata`` (prose): the long descriptions in the installed packages'
  ``*.dist-info/METADATA`` (their READMEs). Each package's own licence, named in that file.
- ``package-docs`` (prose): ``.rst`` / ``.md`` documentation shipped inside installed packages.
  Each package's own licence.
- ``man-pages`` (prose): ``/usr/share/man/man1-8``, troff markup stripped. Each page's package's
  licence (Debian: ``/usr/share/doc/<package>/copyright``; mostly GPL, BSD, MIT).
- ``debian-docs`` (prose): ``README`` / ``NEWS`` / ``.txt`` files under ``/usr/share/doc``. Same
  licences as the man pages.

A source absent here (no man pages in a slim container) is listed in the corpus entry's
``missing`` and in ``Corpus.missing()``; the corpus is then another one, with another hash, so
models trained on it get other cache keys.

Measured here (2026-12-03; Python 3.11.7, Debian 12, the project's lock): documents read (exact
duplicates) per source: python-stdlib 1632 (0), package-metadata 120 (0), package-docs 50 (2),
man-pages 22401 (2153), debian-docs 1027 (113); none missing. After the mix: 97.1M characters of
prose (man pages most of it: technical English rather than books) and 24.3M of code (the
stdlib's 31M cut to 20%); 21452 train and 1124 held-out documents; 35.8M train and 1.9M
held-out tokens with the 4096-token BPE. Content sha256 ``b19c46ad...``, tokenizer sha256
``948a4d14...``. Building it took about 3 minutes (corpus), 6 (tokenizer) and 10 (tokens, 123 s
of CPU, 1.9 GB peak) of wall time at low priority on the loaded 2-core machine.

``STANDIN_CORPUS`` is a small slice of the same kinds of text (the ``json`` and ``email``
packages' code; the packages' READMEs) for the CPU stand-ins of ``catalog.lm``: it builds in
seconds.
"""

from __future__ import annotations

import sysconfig

from harness.models.corpus import Corpus, Source

STDLIB = sysconfig.get_paths()["stdlib"]
SITE_PACKAGES = sysconfig.get_paths()["purelib"]

PYTHON_STDLIB = Source(
    "python-stdlib", "code", "Python Software Foundation License", STDLIB, ("**/*.py",),
    exclude=("site-packages",),
)
PACKAGE_METADATA = Source(
    "package-metadata", "prose", "each package's own (its METADATA)", SITE_PACKAGES, ("*.dist-info/METADATA",),
    reader="metadata",
)
PACKAGE_DOCS = Source("package-docs", "prose", "each package's own", SITE_PACKAGES, ("**/*.rst", "**/*.md"))
MAN_PAGES = Source(
    "man-pages", "prose", "each package's own (/usr/share/doc/<package>/copyright)", "/usr/share/man",
    tuple(f"man{section}/*.gz" for section in range(1, 9)), reader="man",
)
DEBIAN_DOCS = Source(
    "debian-docs", "prose", "each package's own (/usr/share/doc/<package>/copyright)", "/usr/share/doc",
    ("**/README*", "**/NEWS*", "**/*.txt", "**/*.txt.gz"),
)

TEXT_CORPUS = Corpus("text", (PYTHON_STDLIB, PACKAGE_METADATA, PACKAGE_DOCS, MAN_PAGES, DEBIAN_DOCS))

STANDIN_CORPUS = Corpus(
    "standin",
    (
        Source("python-stdlib-json-email", "code", PYTHON_STDLIB.licence, STDLIB, ("json/*.py", "email/*.py")),
        PACKAGE_METADATA,
    ),
)
