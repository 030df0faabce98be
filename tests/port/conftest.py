"""The scripts under scripts/ and errors/ are PyTorch programs that test_port.py runs, not
test modules: pytest (with --doctest-modules) must not import them."""

collect_ignore_glob = ["scripts/*.py", "errors/*.py"]
