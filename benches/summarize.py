#!/usr/bin/env python3
"""Print a weave/Tokio table of criterion medians from target/criterion.

Run after `cargo bench --bench <name>`: python3 benches/summarize.py [group-prefix...]
Reads $CARGO_TARGET_DIR/criterion when that variable is set.
"""
import glob
import json
import os
import sys

root = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
rows = {}
for path in glob.glob(os.path.join(root, "*/*/new/estimates.json")):
    group, bench_id = os.path.relpath(path, root).split("/")[0:2]
    if sys.argv[1:] and not any(group.startswith(p) for p in sys.argv[1:]):
        continue
    runtime, _, flavor = bench_id.partition("_")
    median = json.load(open(path))["median"]["point_estimate"]
    rows.setdefault((group, flavor), {})[runtime] = median


def fmt(ns):
    return f"{ns / 1e6:.3f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs"


print("| workload | flavor | weave median | tokio median | weave/tokio |")
print("|---|---|---|---|---|")
for (group, flavor), d in sorted(rows.items()):
    if "weave" in d and "tokio" in d:
        ratio = d["weave"] / d["tokio"]
        print(f"| {group} | {flavor} | {fmt(d['weave'])} | {fmt(d['tokio'])} | {ratio:.2f} |")

# Debug-mode cost (benches/debug.rs): weave with debug on against debug off.
debug_rows = [(k, d) for k, d in sorted(rows.items()) if "debug" in d and "weave" in d]
if debug_rows:
    print()
    print("| workload | flavor | weave (debug off) | weave (debug on) | on/off |")
    print("|---|---|---|---|---|")
    for (group, flavor), d in debug_rows:
        ratio = d["debug"] / d["weave"]
        print(f"| {group} | {flavor} | {fmt(d['weave'])} | {fmt(d['debug'])} | {ratio:.2f} |")
