"""Benchmarks of the API against bare references (`make bench`) and a durability run (`make bench-load`).

The API is measured from outside, over HTTP, and the database checked with plain SQL, never through `app`
internals, so that the figures stay comparable while the application's code is reorganised (bench/images.py,
which times app.images itself, is the exception). See bench/README.md.
"""
