"""The public edition's suppression, on tables written by hand and on random ones.

The recovery check here is written independently of publish.public: for each group and count, the
published cells and the region total pin the sum of the hidden cells; an attacker who knows which
hidden cells are small (1 to below the threshold) and which were hidden only to protect them (then
anything from 0) recovers a cell when its feasible interval has a single value. Zeros are shown.
"""

from __future__ import annotations

import random

import pytest

from publish.public import NOT_APPLICABLE, SUPPRESSED, UNAVAILABLE, PublicSpec, suppress

T = 5
SPEC = PublicSpec(
    "t",
    keys=("year",),
    counts=("skilled", "high"),
    derived={"ratio": ("skilled", "high")},
    denominators={"ratio": "skilled"},
)


def _rows(units: dict[str, tuple[int, int]], year: int = 2025) -> list[dict]:
    rows = [
        {"year": year, "region_code": code, "skilled": s, "high": h, "ratio": (h / s) if s else None}
        for code, (s, h) in units.items()
    ]
    total_s = sum(s for s, _ in units.values())
    total_h = sum(h for _, h in units.values())
    rows.insert(0, {"year": year, "region_code": "650000", "skilled": total_s, "high": total_h,
                    "ratio": total_h / total_s if total_s else None})
    return rows


def _feasible(true_hidden: list[tuple[int, bool]], difference: int) -> list[tuple[int, int]]:
    """Interval of each hidden cell given the others (small: [1, T-1]; hidden to protect: [0, difference])."""
    out = []
    for i, (_, small) in enumerate(true_hidden):
        lo_i, hi_i = (1, T - 1) if small else (0, difference)
        others = [((1, T - 1) if s else (0, difference)) for j, (_, s) in enumerate(true_hidden) if j != i]
        lo = max(lo_i, difference - sum(h for _, h in others))
        hi = min(hi_i, difference - sum(lo for lo, _ in others))
        out.append((lo, hi))
    return out


def assert_safe(rows: list[dict], published: list[dict]) -> None:
    by_year: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        by_year.setdefault(r["year"], []).append(i)
    for members in by_year.values():
        total = next(i for i in members if rows[i]["region_code"] == "650000")
        units = [i for i in members if i != total]
        for c in SPEC.counts:
            # every count below the threshold is hidden, and so is every figure built on it
            for i in members:
                if 0 < rows[i][c] < T:
                    assert published[i][c].shown == SUPPRESSED, (rows[i], c)
                    assert published[i]["ratio"].shown == SUPPRESSED
                else:
                    assert published[i][c].shown in (rows[i][c], SUPPRESSED)
            if published[total][c].shown == SUPPRESSED:
                continue
            hidden = [i for i in units if published[i][c].shown == SUPPRESSED]
            if not hidden:
                continue
            difference = published[total][c].shown - sum(published[i][c].shown for i in units if i not in hidden)
            assert difference == sum(rows[i][c] for i in hidden)
            cells = [(rows[i][c], 0 < rows[i][c] < T) for i in hidden]
            for (value, _), (lo, hi) in zip(cells, _feasible(cells, difference), strict=True):
                assert lo <= value <= hi
                assert lo < hi, f"{c}: a hidden cell ({value}) is recoverable from the region total"


def test_single_small_unit_gets_a_secondary_suppression():
    rows = _rows({"650100": (100, 30), "650200": (3, 1), "650400": (40, 12), "650500": (60, 9)})
    out = suppress(rows, SPEC, T)
    skilled = [r["skilled"].shown for r in out]
    # 650200 is small; the next smallest (650400, 40) is hidden too, the region total stays
    assert skilled == [203, 100, SUPPRESSED, SUPPRESSED, 60]
    assert out[3]["ratio"].shown == SUPPRESSED  # built on a hidden count
    assert out[1]["ratio"].shown == pytest.approx(0.3)
    assert_safe(rows, out)


def test_two_small_cells_that_would_pin_each_other_down_get_a_third():
    # 4 + 4 = 8 hidden: both below 5 and summing to 8 means both are 4, so a third cell is hidden
    rows = _rows({"650100": (4, 0), "650200": (4, 0), "650400": (50, 10), "650500": (70, 20)})
    out = suppress(rows, SPEC, T)
    assert [r["skilled"].shown for r in out[1:]] == [SUPPRESSED, SUPPRESSED, SUPPRESSED, 70]
    assert_safe(rows, out)


def test_a_zero_is_shown_and_a_ratio_over_zero_is_not_applicable():
    rows = _rows({"650100": (0, 0), "650200": (20, 5), "650400": (30, 6), "650500": (40, 8)})
    out = suppress(rows, SPEC, T)
    assert out[1]["skilled"].shown == 0
    assert out[1]["ratio"].shown == NOT_APPLICABLE
    assert out[2]["ratio"].shown == pytest.approx(0.25)
    assert_safe(rows, out)


def test_missing_values_are_x():
    spec = PublicSpec("t", keys=("year",), counts=("skilled",), order=())
    rows = [{"year": 2025, "region_code": "650100", "skilled": 10, "trend": None}]
    assert suppress(rows, spec, T)[0]["trend"].shown == UNAVAILABLE


def test_a_small_region_total_hides_everything():
    rows = _rows({"650100": (2, 1), "650200": (1, 0)})
    out = suppress(rows, SPEC, T)
    assert all(r["skilled"].shown == SUPPRESSED for r in out)
    assert_safe(rows, out)


@pytest.mark.parametrize("seed", range(300))
def test_no_suppressed_cell_can_be_recovered_by_subtraction(seed):
    rng = random.Random(seed)
    rows = []
    for year in (2024, 2025):
        units = {}
        for k in range(rng.randint(1, 8)):
            skilled = rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 15, 40, 200])
            units[f"65{k + 1:02d}00"] = (skilled, rng.randint(0, skilled))
        rows += _rows(units, year)
    out = suppress(rows, SPEC, T)
    assert_safe(rows, out)
