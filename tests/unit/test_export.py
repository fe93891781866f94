"""`talent export eligibility` reads the models its dbt exposure declares, by the names dbt gives them."""

from __future__ import annotations

import re

from talent.export import declared_relations, list_sql


def test_the_export_reads_exactly_the_models_its_exposure_declares():
    relations = declared_relations()  # from dbt_project/target/manifest.json (`make install` parses)
    assert relations == {
        "int_entitlements_deduped": "intermediate.int_entitlements_deduped",
        "int_promotions_followed_up": "intermediate.int_promotions_followed_up",
        "ref_prefectures": "reference.ref_prefectures",
    }
    read = set(re.findall(r"\b(?:from|join)\s+([a-z_]+\.[a-z_]+|[a-z_]+)\b", list_sql(relations)))
    assert read == {*relations.values(), "persons"}  # and the decrypted restricted store


def test_a_model_dbt_names_otherwise_is_read_under_that_name():
    manifest = {
        "exposures": {"exposure.x.eligibility_export": {
            "name": "eligibility_export", "depends_on": {"nodes": ["model.x.a", "model.x.b", "seed.x.c"]}}},
        "nodes": {
            "model.x.a": {"name": "int_entitlements_deduped", "schema": "int_v2", "alias": "entitlements"},
            "model.x.b": {"name": "int_promotions_followed_up", "schema": "int_v2", "alias": "followups"},
            "seed.x.c": {"name": "ref_prefectures", "schema": "ref", "alias": "ref_prefectures"},
        },
    }  # fmt: skip
    sql = list_sql(declared_relations(manifest))
    assert "from int_v2.entitlements as e" in sql and "left join int_v2.followups as f" in sql
    assert "left join ref.ref_prefectures as u" in sql and "intermediate." not in sql
