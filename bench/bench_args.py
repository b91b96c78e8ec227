"""Command-line arguments the benchmarks share: where the lrid executable is."""
import argparse
import pathlib

REPO = pathlib.Path(__file__).resolve().parent.parent


def parser(description=None):
    """An ArgumentParser with --lrid (default: build/lrid of this checkout)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--lrid", default=str(REPO / "build" / "lrid"), help="the lrid executable")
    return ap
