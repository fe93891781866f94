"""Every published column has a Chinese label from the dbt docs (dbt_project/models/_labels_zh.md)."""

from __future__ import annotations

import re

from publish.docs import load_manifest, published_docs

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_mart_and_column_has_a_chinese_label_and_the_dbt_description():
    manifest = load_manifest()
    docs = published_docs(manifest)
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "marts"]
    assert marts
    for node in marts:
        doc = docs[f"marts.{node['name']}"]
        assert CJK.search(doc.label_zh) and CJK.search(doc.description_zh), node["name"]
        assert doc.description == " ".join(node["description"].split())
        for column in node["columns"]:
            assert CJK.search(doc.column(column).label_zh), f"{node['name']}.{column} has no Chinese label"
    assert docs["marts.mart_high_skill_ratio"].column("high_skill_ratio").label_zh == "高技能人才占比"
    assert docs["audit.quarantine"].column("reason").label_zh == "原因"
    assert docs["audit.refresh"].column("as_of_date").comment().startswith("截至日期：")


def test_the_refresh_and_source_freshness_tables_are_documented_in_both_languages():
    from publish.warehouse import REFRESH_COLUMNS, SOURCE_FRESHNESS_COLUMNS

    docs = published_docs(load_manifest())
    for table, columns in (("refresh", REFRESH_COLUMNS), ("source_freshness", SOURCE_FRESHNESS_COLUMNS)):
        doc = docs[f"audit.{table}"]
        assert CJK.search(doc.label_zh) and doc.description, table
        for column in columns:
            assert CJK.search(doc.column(column).label_zh), f"audit.{table}.{column} has no Chinese label"
            assert doc.column(column).description, f"audit.{table}.{column} has no description"
    assert docs["audit.source_freshness"].column("is_stale").comment() == (
        "是否逾期：days_behind above cadence_days, or nothing ever loaded.")
