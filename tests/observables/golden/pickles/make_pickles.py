"""Writes protocol0.pkl .. protocol5.pkl: one object pickled by Python in each
protocol, for tests/observables/torch_archive_test.cpp (WalkPickle). Prints
each file's size and its opcode count by pickletools.genops, the test's
expectations. Run from this folder: python3 make_pickles.py"""
import pickle
import pickletools

OBJ = {"w": [1.5, -2, 2**70, -2**300, "h\u00e9llo", b"\x00\x01" * 40, (1, 2, 3), (), (4,)], "s": {1, 2},
       "f": frozenset([3]), "ba": bytearray(b"xy" * 200), "n": None, "t": True, "long": "x" * 300, "neg": -1,
       "big": 70000}

for protocol in range(6):
    data = pickle.dumps(OBJ, protocol=protocol)
    with open(f"protocol{protocol}.pkl", "wb") as f:
        f.write(data)
    print(protocol, len(data), sum(1 for _ in pickletools.genops(data)))
