"""The Python side of bench/psi.mjs: PSI per hour and feature, pandas.

    /usr/bin/python3 bench/psi_pandas.py REFERENCE.json TRAFFIC.csv
        [--dates to_datetime|parse_dates] [--chunksize N]

What a Python user would write to get the numbers `signet monitor ingest`
gets: read the traffic CSV with `pandas.read_csv` (the whole file, or
`chunksize` rows at a time to keep memory bounded), take each row's hour
from its `ts` column, count each feature's values in the reference bins
and compute PSI against the reference counts, with the same epsilon as
src/monitor/stats.ts.

The timestamps are parsed either by `pandas.to_datetime` after reading
(`--dates to_datetime`, the default) or by `read_csv(parse_dates=...)`
(`--dates parse_dates`). The second is the documented way, yet in pandas
1.5 it is the slower on this column (as pandas-dev/pandas#13328 found):
bench/psi.mjs measures both.

The bins are Signet's (src/monitor/types.ts): value v falls in the first
bin i with v <= edges[i], above the last edge in bin len(edges), and an
empty cell in the missing bin, len(edges) + 1. These bins are closed on
the right, (a, b]; `numpy.histogram` closes them on the left, [a, b)
(all but its last), so a value exactly on an edge would land one bin
higher there. `numpy.searchsorted(edges, x, side="left")` is exactly
Signet's index, the first i with x <= edges[i], and the counts are
`numpy.bincount` over it. NaN (an empty cell) sorts past the last edge:
it is moved to the missing bin.

Prints one JSON object: the times, the peak RSS, the versions, and the
counts and PSI per window and feature.
"""

import argparse
import json
import resource
import sys
import time

import numpy as np
import pandas as pd

PSI_EPSILON = 1e-4
# How Signet names a window: its start, RFC 3339 UTC.
WINDOW_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def bin_indexes(values, edges):
    """Signet's bin of each value (NaN: the missing bin)."""
    bins = np.searchsorted(edges, values, side="left")
    bins[np.isnan(values)] = len(edges) + 1
    return bins


def count_frame(frame, features, edges):
    """Counts of one DataFrame: {hour (ns since 1970): {feature: counts}}."""
    codes, windows = pd.factorize(frame["ts"].dt.floor("h"), sort=True)
    if (codes < 0).any():
        raise ValueError("a row has no timestamp")
    counts = {}
    for feature in features:
        bins = len(edges[feature]) + 2
        index = codes * bins + bin_indexes(
            frame[feature].to_numpy(), edges[feature]
        )
        counts[feature] = np.bincount(
            index, minlength=len(windows) * bins
        ).reshape(len(windows), bins)
    return {
        window.value: {feature: counts[feature][row] for feature in features}
        for row, window in enumerate(windows)
    }


def read_frames(path, dates, chunksize):
    """The CSV as DataFrames with `ts` as datetime64: one, or chunks."""
    options = {"parse_dates": ["ts"]} if dates == "parse_dates" else {}
    if chunksize is None:
        frames = [pd.read_csv(path, **options)]
    else:
        frames = pd.read_csv(path, chunksize=chunksize, **options)
    for frame in frames:
        if dates == "to_datetime":
            frame["ts"] = pd.to_datetime(frame["ts"])
        yield frame


def psi(expected, actual):
    """Sum of (a - e) ln(a / e), a zero proportion replaced by epsilon."""
    e = expected / expected.sum()
    a = actual / actual.sum()
    e[e == 0] = PSI_EPSILON
    a[a == 0] = PSI_EPSILON
    return float(((a - e) * np.log(a / e)).sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("reference")
    parser.add_argument("traffic")
    parser.add_argument(
        "--dates",
        choices=["to_datetime", "parse_dates"],
        default="to_datetime",
    )
    parser.add_argument("--chunksize", type=int)
    args = parser.parse_args()

    started = time.perf_counter()
    with open(args.reference, encoding="utf-8") as file:
        reference = json.load(file)["features"]
    features = [bins["name"] for bins in reference]
    edges = {b["name"]: np.array(b["edges"], float) for b in reference}
    expected = {b["name"]: np.array(b["counts"], float) for b in reference}

    totals = {}
    rows = 0
    for frame in read_frames(args.traffic, args.dates, args.chunksize):
        rows += len(frame)
        for window, counts in count_frame(frame, features, edges).items():
            if window not in totals:
                totals[window] = counts
            else:
                for feature, c in counts.items():
                    totals[window][feature] += c
        del frame
    counted = time.perf_counter()

    results = []
    for window in sorted(totals):
        label = pd.Timestamp(window, tz="UTC").strftime(WINDOW_FORMAT)
        for feature in features:
            actual = totals[window][feature]
            results.append(
                {
                    "window": label,
                    "feature": feature,
                    "counts": actual.tolist(),
                    "psi": psi(expected[feature], actual.astype(float)),
                }
            )
    finished = time.perf_counter()

    usage = resource.getrusage(resource.RUSAGE_SELF)
    json.dump(
        {
            "ms": (finished - started) * 1000,
            # The whole process's, start-up and `import pandas` included.
            "cpuMs": (usage.ru_utime + usage.ru_stime) * 1000,
            "countMs": (counted - started) * 1000,
            "psiMs": (finished - counted) * 1000,
            "rows": rows,
            # Linux reports ru_maxrss in KiB.
            "peakRss": usage.ru_maxrss * 1024,
            "versions": {
                "python": sys.version.split()[0],
                "pandas": pd.__version__,
                "numpy": np.__version__,
            },
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
