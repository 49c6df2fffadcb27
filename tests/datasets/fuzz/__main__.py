"""``python -m tests.datasets.fuzz``: see :mod:`tests.datasets.fuzz.campaign`."""
import sys

from tests.datasets.fuzz.campaign import main

sys.exit(main())
