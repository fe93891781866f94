"""A blocking check that failed keeps failing until the data is fixed: the next night does not
publish the rows the failed night loaded just because it loaded none of its own.

Night 1 publishes. Night 2 loads a file whose person keys are broken (ingest made to write them in
upper case), so the raw certificates suite fails and nothing is published. Night 3 lands nothing
new: its checks read the rows no publish has tested yet (night 2's), fail again, and the published
file still holds night 1 only. A full refresh, which re-reads the landing with a working ingest,
publishes every row.
"""

from __future__ import annotations

import duckdb
import pytest

from orchestration.run import refresh
from orchestration.settings import WarehouseSettings
from tests.e2e.test_hostile_landing import CERT, cert, csv_text, old, put

pytestmark = pytest.mark.e2e

AS_OF = "2024-06-30"
SUITE = "raw/certifications: ge_raw_certifications"


def _published_certificates(settings: WarehouseSettings) -> set[str]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return {r[0] for r in con.execute("select source_file from audit.load_ledger where status = 'loaded'").fetchall()}
    finally:
        con.close()


def _settings(root, **changes) -> WarehouseSettings:
    return WarehouseSettings(
        landing_dir=str(root / "landing"), warehouse_path=str(root / "wh" / "talent.duckdb"), as_of=AS_OF, **changes
    )


def test_a_failed_blocking_check_fails_again_the_next_night_until_the_data_is_fixed(tmp_path, monkeypatch):
    monkeypatch.setenv("TALENT_PII_KEY", "failed-check-test-key")
    landing, settings = tmp_path / "landing", _settings(tmp_path)
    old(put(landing, "certifications/2024-03-31/a.csv", csv_text(CERT, [cert(0), cert(1)])))
    first = refresh(settings)
    assert first.success and first.published, first.describe()
    assert _published_certificates(settings) == {"certifications/2024-03-31/a.csv"}

    old(put(landing, "certifications/2024-04-01/b.csv", csv_text(CERT, [cert(2), cert(3)])))
    with monkeypatch.context() as broken:
        import ingest.load

        real = ingest.load.hmac_expr
        broken.setattr(ingest.load, "hmac_expr", lambda expr, key: real(expr, key).str.to_uppercase())
        second = refresh(settings)
    assert not second.published and SUITE in second.failed_check_names, second.describe()

    third = refresh(settings)  # nothing new landed
    assert not third.up_to_date and not third.published, third.describe()
    assert SUITE in third.failed_check_names, third.describe()
    assert _published_certificates(settings) == {"certifications/2024-03-31/a.csv"}

    fixed = refresh(_settings(tmp_path, full_refresh=True))
    assert fixed.success and fixed.published, fixed.describe()
    assert _published_certificates(settings) == {
        "certifications/2024-03-31/a.csv",
        "certifications/2024-04-01/b.csv",
    }
