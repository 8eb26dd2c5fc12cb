"""A forkserver preload that takes as long as the test says: it returns once the file named by
CITYSTAT_TEST_PRELOAD_FLAG exists (test_ge_worker_fork starts a worker behind it)."""

import os
import time

_flag = os.environ.get("CITYSTAT_TEST_PRELOAD_FLAG")
while _flag and not os.path.exists(_flag):
    time.sleep(0.05)
