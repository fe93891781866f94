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
