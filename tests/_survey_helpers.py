"""Shared set-up of the ``tests/test_survey*.py`` modules (a plain module, not a conftest).

``REF`` is the folder of the survey reference data and R outputs, ``EXTRA`` the cases of
``survey_extra.json`` (made by ``tests/reference/survey/make_extra.R``: R 4.2.2, survey 4.1-1) by id,
``RTOL`` the relative tolerance against R. Import ``quiet_small_bases`` into a test module to
silence the :class:`~cxresearch.errors.SmallBaseWarning` of its small domains in every test.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from cxresearch.errors import SmallBaseWarning

REF = Path(__file__).parent / "reference" / "survey"
EXTRA = {c["id"]: c["values"] for c in json.loads((REF / "survey_extra.json").read_text())}
RTOL = 1e-6


def scalar(v):
    return float(np.asarray(v).ravel()[0])


@pytest.fixture(autouse=True)
def quiet_small_bases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallBaseWarning)
        yield
