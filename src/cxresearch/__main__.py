"""``python -m cxresearch ...``: the ``cxresearch`` command without its console script (a kernel's
or a virtualenv's interpreter, a checkout run with ``PYTHONPATH=src``)."""

import sys

from cxresearch.cli import main

if __name__ == "__main__":
    sys.exit(main())
