"""Demo data and benchmarks: the demo seed (``seed_demo``, ``demo_totp``), demo contribution
rates, and the benchmark commands (``bench_pages``, ``bench_bulk``, ``bench_notifications``).

It sits above every app and the project package (an import contract says so): it seeds rows
directly, which no app may do to another's models, and nothing imports it but the tests.
"""
