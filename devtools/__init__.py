"""devtools — demo data and benchmarks: the demo seed (``seed_demo``, ``demo_totp``), demo
contribution rates (``rates``) and the benchmark commands (``bench_pages``, ``bench_bulk``,
``bench_notifications``).

It sits above every app and the project package (the layers contract says so) and is the only
package that writes other apps' rows directly, for speed and to stage a demo; nothing imports
it but the tests. It has no face.
"""
