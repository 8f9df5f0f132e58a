#!/usr/bin/env python3
"""Regenerates rust/pricing/data/litellm_prices.jsonl, the built-in pricing table.

Source: LiteLLM's model_prices_and_context_window_backup.json, shipped inside
the litellm wheel on PyPI (MIT licence). The script downloads the pinned wheel
with pip (or takes a wheel path with --wheel), keeps only the price fields the
Rust core reads, and writes one JSON object per model, sorted by model name,
behind a '#' header recording the source version and licence.

When the table file already exists, the models added, removed and repriced
against it are printed after writing (old -> new prices).

Usage: scripts/gen_pricing.py [--version X.Y.Z | --latest] [--wheel path/to/litellm.whl]
       scripts/gen_pricing.py --diff OLD.jsonl NEW.jsonl [--tests]
       scripts/gen_pricing.py --latest-version      # print the newest version PyPI serves
       scripts/gen_pricing.py --self-test           # test the diff logic (no network)

scripts/refresh-pricing.sh wraps it: newest release, diff, the tests that pin
prices (docs/pricing.md, "Refreshing the built-in table").
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
import zipfile

PINNED_VERSION = "1.110.2"
JSON_IN_WHEEL = "litellm/model_prices_and_context_window_backup.json"
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "rust", "pricing", "data", "litellm_prices.jsonl")
# Where tests that may pin a built-in price live (searched for the names of
# repriced and removed models).
TEST_ROOTS = ["tests", "benches", "go-shim/e2e", "go-shim/bench", "go-shim/genaiprocessor", "go-shim/genaiconnector"]
TEST_EXTS = (".rs", ".go", ".py", ".txt", ".yaml", ".json", ".jsonl")

# Fields the Rust LiteLLM reader (rust/pricing/formats/litellm.rs) understands.
# Keep the two lists in step.
KEEP = {
    "litellm_provider",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "cache_creation_input_token_cost_above_1hr",
    "output_cost_per_reasoning_token",
    "input_cost_per_audio_token",
    "output_cost_per_audio_token",
    "output_cost_per_image",
    "input_cost_per_pixel",
}
TIERED = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|"
    r"cache_creation_input_token_cost)_above_\d+k_tokens$"
)
PRICE_FIELDS = KEEP - {"litellm_provider"}


def latest_version():
    """The newest litellm release the configured package index serves."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "litellm"],
        check=True, capture_output=True, text=True,
    ).stdout
    return parse_index_versions(out)


def parse_index_versions(out):
    """The version of `pip index versions`' first line, "litellm (X.Y.Z)"."""
    m = re.search(r"^litellm \(([^)\s]+)\)", out, re.M)
    if not m:
        sys.exit(f"cannot read the newest litellm version from pip's answer:\n{out}")
    return m.group(1)


def wheel_path(args):
    if args.wheel:
        return args.wheel
    tmp = tempfile.mkdtemp(prefix="litellm-wheel-")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "--dest", tmp, f"litellm=={args.version}"],
        check=True,
    )
    wheels = glob.glob(os.path.join(tmp, "litellm-*.whl"))
    if not wheels:
        sys.exit(f"pip downloaded no litellm wheel into {tmp}")
    return wheels[0]


def version_of(wheel):
    m = re.match(r"litellm-([^-]+)-", os.path.basename(wheel))
    return m.group(1) if m else "unknown"


def compact(entry):
    out = {}
    for field, value in entry.items():
        if field in KEEP or TIERED.match(field):
            if field != "litellm_provider" and not isinstance(value, (int, float)):
                continue
            out[field] = value
    if not any(f in PRICE_FIELDS or TIERED.match(f) for f in out):
        return None
    return out


def read_table(path):
    """(source version, {model key: price fields}) of a generated table."""
    version, entries = "unknown", {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                m = re.match(r"# Source: litellm (\S+) ", line)
                if m:
                    version = m.group(1)
                continue
            entry = json.loads(line)
            entries[entry.pop("model")] = entry
    return version, entries


def diff_tables(old, new):
    """Models added, removed and repriced between two {model: fields} maps.

    repriced: {model: {field: (old, new)}}, a field absent on one side as None
    (the provider counts as a field: a model moved to another provider is
    priced differently by provider-aware matching).
    """
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    repriced = {}
    for model in sorted(set(old) & set(new)):
        a, b = old[model], new[model]
        changes = {f: (a.get(f), b.get(f)) for f in sorted(set(a) | set(b)) if a.get(f) != b.get(f)}
        if changes:
            repriced[model] = changes
    return added, removed, repriced


def fmt_price(field, value):
    if value is None:
        return "-"
    if field == "litellm_provider":
        return str(value)
    if "per_image" in field or "per_pixel" in field:
        return f"{value:g}"
    return f"{value * 1e6:g}/1M"


def describe(entry):
    parts = [entry.get("litellm_provider", "?")]
    for field in ("input_cost_per_token", "output_cost_per_token", "output_cost_per_image"):
        if field in entry:
            parts.append(f"{field.split('_cost')[0]} {fmt_price(field, entry[field])}")
    return ", ".join(parts)


def format_diff(old_version, old, new_version, new):
    added, removed, repriced = diff_tables(old, new)
    out = [f"litellm {old_version} -> {new_version}: {len(old)} -> {len(new)} models; "
           f"{len(added)} added, {len(removed)} removed, {len(repriced)} repriced (USD per token x 1e6 = per 1M tokens)"]
    if added:
        out.append(f"added ({len(added)}):")
        out += [f"  + {m} ({describe(new[m])})" for m in added]
    if removed:
        out.append(f"removed ({len(removed)}):")
        out += [f"  - {m} ({describe(old[m])})" for m in removed]
    if repriced:
        out.append(f"repriced ({len(repriced)}):")
        for m, changes in repriced.items():
            fields = "; ".join(f"{f} {fmt_price(f, a)} -> {fmt_price(f, b)}" for f, (a, b) in changes.items())
            out.append(f"  ~ {m}: {fields}")
    return "\n".join(out)


def name_pattern(models):
    """A regex matching any of models as a whole name (not inside a longer one)."""
    alts = "|".join(re.escape(m) for m in sorted(models, key=len, reverse=True))
    return re.compile(r"(?<![\w.:@-])(" + alts + r")(?![\w.:@-])", re.I)


NUMBER = re.compile(r"(?<![\w.])\d+(?:_\d+)*(?:\.\d+)?(?:[eE][-+]?\d+)?")


def price_values(entries):
    """An entry's prices as a test may write them: per token, per 1K and per 1M tokens."""
    values = set()
    for entry in entries:
        for field, value in entry.items():
            if field != "litellm_provider" and value:
                values.update((value, value * 1e3, value * 1e6))
    return values


def pins(text, values):
    """Whether text holds a number equal (to 1e-9 relative) to one of values.

    Integer literals are not read (10, 1000: counts and sizes far more often
    than prices).
    """
    for m in NUMBER.finditer(text):
        if not re.search(r"[.eE]", m.group(0)):
            continue
        try:
            x = float(m.group(0).replace("_", ""))
        except ValueError:
            continue
        if x and any(abs(x - v) <= 1e-9 * v for v in values):
            return True
    return False


def tests_mentioning(models, roots=None, base=ROOT, prices=None):
    """{relative path: (sorted model names, pins)} of the test files naming any of models.

    pins: the file also holds one of prices[name]'s values (a number equal to
    one of the model's old prices per token, per 1K or per 1M tokens), the
    mark of a test that computes an expected cost by hand.
    """
    if not models:
        return {}
    pat = name_pattern(models)
    prices = prices or {}
    hits = {}
    for root in roots if roots is not None else TEST_ROOTS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(base, root)):
            dirnames[:] = [d for d in dirnames if d not in ("captured", "node_modules", "__pycache__")]
            for name in filenames:
                if not name.endswith(TEST_EXTS):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        text = f.read()
                except OSError:
                    continue
                found = sorted({m.group(1).lower() for m in pat.finditer(text)})
                if found:
                    values = set().union(*(prices.get(n, set()) for n in found))
                    hits[os.path.relpath(path, base)] = (found, pins(text, values))
    return hits


def names_answered(models):
    """{name: [models]}: the names the table answers to for models (each model
    and its parts after each '/') and the models answering to each."""
    names = {}
    for m in sorted(models):
        parts = m.split("/")
        for i in range(len(parts)):
            names.setdefault("/".join(parts[i:]).lower(), []).append(m)
    return names


def format_mentions(old, new):
    _, removed, repriced = diff_tables(old, new)
    names = names_answered(set(removed) | set(repriced))
    prices = {n: price_values(old[m] for m in ms) for n, ms in names.items()}
    hits = tests_mentioning(set(names), prices=prices)
    if not hits:
        return "no test file names a removed or repriced model"
    pinned = {p: ms for p, (ms, pin) in hits.items() if pin}
    named = {p: ms for p, (ms, pin) in hits.items() if not pin}
    out = []
    if pinned:
        out.append("test files naming a removed or repriced model and one of its old prices (update them):")
        out += [f"  {path}: {', '.join(ms)}" for path, ms in sorted(pinned.items())]
    if named:
        out.append(f"test files naming such a model without its old price ({len(named)}; "
                   "they fail below if they depend on it):")
        out += [f"  {path}: {', '.join(ms)}" for path, ms in sorted(named.items())]
    return "\n".join(out)


class DiffTest(unittest.TestCase):
    OLD = {
        "gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05},
        "gpt-4o-mini": {"litellm_provider": "openai", "input_cost_per_token": 1.5e-07},
        "old-model": {"litellm_provider": "acme", "input_cost_per_token": 1e-06},
        "dall-e-3": {"litellm_provider": "openai", "output_cost_per_image": 0.04},
    }

    def new(self):
        new = json.loads(json.dumps(self.OLD))
        new["gpt-4o"]["input_cost_per_token"] = 3e-06           # repriced
        new["gpt-4o-mini"]["cache_read_input_token_cost"] = 7.5e-08  # a field added
        new["dall-e-3"]["litellm_provider"] = "azure"             # provider moved
        del new["old-model"]                                      # removed
        new["new-model"] = {"litellm_provider": "acme", "output_cost_per_token": 2e-06}
        return new

    def test_diff(self):
        added, removed, repriced = diff_tables(self.OLD, self.new())
        self.assertEqual(added, ["new-model"])
        self.assertEqual(removed, ["old-model"])
        self.assertEqual(repriced, {
            "dall-e-3": {"litellm_provider": ("openai", "azure")},
            "gpt-4o": {"input_cost_per_token": (2.5e-06, 3e-06)},
            "gpt-4o-mini": {"cache_read_input_token_cost": (None, 7.5e-08)},
        })
        self.assertEqual(diff_tables(self.OLD, self.OLD), ([], [], {}))

    def test_format(self):
        text = format_diff("1.0.0", self.OLD, "1.1.0", self.new())
        self.assertIn("litellm 1.0.0 -> 1.1.0: 4 -> 4 models; 1 added, 1 removed, 3 repriced", text)
        self.assertIn("  + new-model (acme, output 2/1M)", text)
        self.assertIn("  - old-model (acme, input 1/1M)", text)
        self.assertIn("  ~ gpt-4o: input_cost_per_token 2.5/1M -> 3/1M", text)
        self.assertIn("  ~ gpt-4o-mini: cache_read_input_token_cost - -> 0.075/1M", text)
        self.assertIn("  ~ dall-e-3: litellm_provider openai -> azure", text)

    def test_read_table_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.write("# Source: litellm 9.8.7 (PyPI wheel), x.json.\n# other header\n")
                for m, e in self.OLD.items():
                    f.write(json.dumps({"model": m, **e}) + "\n")
            self.assertEqual(read_table(path), ("9.8.7", self.OLD))

    def test_mentions_whole_names_only(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "tests"))
            files = {
                "a.rs": 'price("gpt-4o", 2.5)',            # the model
                "b.go": 'model: "gpt-4o-mini"',            # another model, not gpt-4o
                "c.py": "openai/gpt-4o and GPT-4O",        # a route prefix, case
                "d.md": "gpt-4o",                          # not a test source
            }
            for name, text in files.items():
                with open(os.path.join(d, "tests", name), "w", encoding="utf-8") as f:
                    f.write(text)
            hits = tests_mentioning({"gpt-4o"}, roots=["tests"], base=d, prices={"gpt-4o": price_values([self.OLD["gpt-4o"]])})
            self.assertEqual(hits, {os.path.join("tests", "a.rs"): (["gpt-4o"], True),
                                    os.path.join("tests", "c.py"): (["gpt-4o"], False)})
            self.assertEqual(tests_mentioning(set(), roots=["tests"], base=d), {})

    def test_names_answered(self):
        self.assertEqual(names_answered({"azure/eu/gpt-4o", "o1"}), {
            "azure/eu/gpt-4o": ["azure/eu/gpt-4o"], "eu/gpt-4o": ["azure/eu/gpt-4o"],
            "gpt-4o": ["azure/eu/gpt-4o"], "o1": ["o1"]})

    def test_pins(self):
        values = price_values([{"input_cost_per_token": 2.5e-06, "output_cost_per_image": 0.04}])  # 40 per 1K
        for text in ("2.5e-6", "0.0000025", "2.5e-06", "1000*2.5e-6", "0.0025 per 1K", "2.5 USD per 1M", "0.04"):
            self.assertTrue(pins(text, values), text)
        for text in ("2.55", "25", "0.25", "gpt-4o", "40"):
            self.assertFalse(pins(text, values), text)

    def test_index_versions(self):
        out = "litellm (1.111.0)\nAvailable versions: 1.111.0, 1.110.2\n"
        self.assertEqual(parse_index_versions(out), "1.111.0")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", default=PINNED_VERSION)
    ap.add_argument("--latest", action="store_true", help="the newest version the package index serves")
    ap.add_argument("--latest-version", action="store_true", help="print the newest version and exit")
    ap.add_argument("--wheel", help="use this litellm wheel instead of downloading one")
    ap.add_argument("--out", default=OUT, help="table to write (default: the built-in one)")
    ap.add_argument("--diff", nargs=2, metavar=("OLD", "NEW"), help="print the diff of two tables and exit")
    ap.add_argument("--tests", action="store_true", help="with --diff: also the test files naming changed models")
    ap.add_argument("--self-test", action="store_true", help="run this script's own tests and exit")
    args = ap.parse_args()

    if args.self_test:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(DiffTest)
        sys.exit(0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1)
    if args.latest_version:
        print(latest_version())
        return
    if args.diff:
        (ov, old), (nv, new) = read_table(args.diff[0]), read_table(args.diff[1])
        print(format_diff(ov, old, nv, new))
        if args.tests:
            print(format_mentions(old, new))
        return
    if args.latest:
        args.version = latest_version()
        print(f"newest litellm on the package index: {args.version} (pinned: {PINNED_VERSION})")
    previous = read_table(args.out) if os.path.exists(args.out) else None

    wheel = wheel_path(args)
    with zipfile.ZipFile(wheel) as z:
        table = json.loads(z.read(JSON_IN_WHEEL))

    lines = []
    skipped = 0
    for model in sorted(table):
        if model == "sample_spec" or not isinstance(table[model], dict):
            continue
        entry = compact(table[model])
        if entry is None:
            skipped += 1
            continue
        lines.append(json.dumps({"model": model, **entry}, separators=(",", ":"), sort_keys=False))

    header = [
        "# Built-in pricing table of otelcol-genai. GENERATED by scripts/gen_pricing.py: do not edit.",
        f"# Source: litellm {version_of(wheel)} (PyPI wheel), {JSON_IN_WHEEL}.",
        "# Licence of the source data: MIT, Copyright (c) 2023 Berri AI.",
        "# Prices in USD per token (per image / per pixel where named), one model per line.",
        f"# {len(lines)} models kept; {skipped} without token or image prices left out.",
    ]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(header + lines) + "\n")
    print(f"wrote {os.path.normpath(args.out)}: {len(lines)} models, {skipped} skipped")
    if previous is not None:
        print(format_diff(previous[0], previous[1], *read_table(args.out)))


if __name__ == "__main__":
    main()
