"""Great Expectations imported as citystat imports it (without pyspark), for a forkserver to
preload: a plain ``import great_expectations`` there pulls pyspark in, whose connect module ends
an interpreter started with ``python -c`` (as the forkserver is) when grpc is missing."""

from pipelines.validate.ge_batches import _import_great_expectations

_import_great_expectations()
