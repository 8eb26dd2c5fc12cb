"""The loader's parts: file readers (CSV, JSON), joined files, typed staging and due rules.

``pipelines.ingest.extract`` is the public entry point; these modules are its implementation.
"""
