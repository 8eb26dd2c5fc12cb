"""Reference tables behind the generated demo 311 extract (see ``pipelines.demo_data``)."""
