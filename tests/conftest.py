"""Shared test configuration: Hypothesis profiles.

Every run is deterministic by default (``derandomize=True``, a fixed example count, no
deadline, no example database), so CI and a developer's machine see the same examples.
``HYPOTHESIS_PROFILE=explore`` draws fresh random examples, many more of them.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
