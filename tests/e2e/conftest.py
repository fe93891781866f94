"""One refreshed sample warehouse for the tests of what is published beside it (report, feeds, public
edition) and for the browser test: generated and refreshed once per session, then refreshed again
with one more landed file and a later as-of date by the tests that need a second night."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import make_id, write_csv

AS_OF, NEXT_AS_OF = "2026-06-30", "2026-07-31"
PERSONS = 1500
# The second night's landed file: new high-skilled certificates in 吐鲁番市 (650400), so its ratio moves.
EXTRA_REGION, EXTRA_ROWS = "650400", 6
CERT_HEADER = ["证书编号", "姓名", "公民身份号码", "职业(工种)名称", "技能等级", "发证日期", "评价机构", "所在地区"]


@dataclass
class Sample:
    root: Path
    landing: Path
    warehouse: Path

    def settings(self, as_of: str):
        from orchestration.settings import WarehouseSettings

        return WarehouseSettings(
            landing_dir=str(self.landing), warehouse_path=str(self.warehouse), as_of=as_of,
            build_path=str(self.root / "build"), restricted_path=str(self.root / "restricted"),
        )

    def refresh(self, as_of: str):
        from orchestration.run import refresh

        outcome = refresh(self.settings(as_of))
        assert outcome.success and outcome.published, outcome.describe()
        assert not outcome.failed_checks, outcome.describe()
        return outcome

    def land_next_night(self) -> Path:
        """A hand-written certifications export of the next night: EXTRA_ROWS advanced workers."""
        rows = [
            [f"T2026{n:06d}", f"测试{n}", make_id("650402", "19900101", f"{n:03d}"), "电工", "三级/高级工",
             "2026/7/15", "吐鲁番市职业技能鉴定中心", "吐鲁番市"]
            for n in range(101, 101 + EXTRA_ROWS)
        ]
        path = write_csv(self.landing / "certifications" / "2026-07-20" / "吐鲁番补报.csv", CERT_HEADER, rows)
        old = time.time() - 3600  # landed an hour ago: past any settle time
        os.utime(path, (old, old))
        return path


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Sample:
    """Generated landing, refreshed as of AS_OF (the first night)."""
    from synth import generate

    mp = pytest.MonkeyPatch()
    mp.setenv("TALENT_PII_KEY", "published-outputs-test-key")
    root = tmp_path_factory.mktemp("published")
    s = Sample(root, root / "landing", root / "warehouse" / "talent.duckdb")
    generate(s.landing, persons=PERSONS, seed=1, progress=False)
    s.refresh(AS_OF)
    yield s
    mp.undo()


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """The generator's messy landing (3,000 persons, seed 11) refreshed once as of 2026-06-30, with
    its ground truth: shared by the tests that compare marts with the truth. Tests that land more
    files work on a copy (`copy_of`)."""
    from orchestration.run import refresh
    from orchestration.settings import WarehouseSettings
    from synth import generate

    mp = pytest.MonkeyPatch()
    mp.setenv("TALENT_PII_KEY", "e2e-test-key")
    root = tmp_path_factory.mktemp("generated")
    landing = root / "landing"
    truth = generate(landing, persons=3000, seed=11, progress=False)
    settings = WarehouseSettings(
        landing_dir=str(landing), warehouse_path=str(root / "wh" / "talent.duckdb"), as_of=AS_OF
    )
    outcome = refresh(settings)
    assert outcome.success, outcome.describe()
    yield settings, truth, outcome
    mp.undo()


def copy_of(settings, target: Path):
    """The landing, published, build, restricted and key folders of `settings`, copied under `target`."""
    import shutil

    from orchestration.settings import WarehouseSettings

    root = settings.published_dir.parent
    shutil.copytree(root, target, symlinks=True)
    return WarehouseSettings(
        landing_dir=str(target / settings.landing.relative_to(root)),
        warehouse_path=str(target / settings.warehouse.relative_to(root)),
        as_of=settings.as_of,
    )
