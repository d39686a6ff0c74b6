#!/usr/bin/env python3
"""Reads an XLSX workbook back with Python's standard library only (zipfile, xml): every sheet as
rows of cell values (numbers as numbers, shared and inline strings as text).
Usage: read_xlsx.py FILE  ->  JSON {"sheet name": [[cell, ...], ...], ...}"""
import json
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def column(ref):
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1


def main(path):
    z = zipfile.ZipFile(path)
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")))
    rels = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    out = {}
    for sheet in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", NS):
        target = rels[sheet.get(REL)].lstrip("/")
        target = target if target.startswith("xl/") else "xl/" + target
        rows = []
        for row in ET.fromstring(z.read(target)).iter(f"{{{NS['m']}}}row"):
            r = int(row.get("r")) - 1
            while len(rows) <= r:
                rows.append([])
            for c in row.findall("m:c", NS):
                i = column(c.get("r"))
                kind = c.get("t")
                v = c.find("m:v", NS)
                if kind == "s":
                    value = shared[int(v.text)]
                elif kind == "inlineStr":
                    value = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
                elif v is not None:
                    value = float(v.text)
                    value = int(value) if value.is_integer() else value
                else:
                    value = None
                while len(rows[r]) <= i:
                    rows[r].append(None)
                rows[r][i] = value
        out[sheet.get("name")] = rows
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
