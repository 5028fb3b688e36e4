#!/usr/bin/env python3
"""Builds wheels/neolight_sparkline-1.0.0-py3-none-any.whl from wheel-src/ with the standard library only.

The demo installs this wheel offline (`pip install --no-index --find-links wheels`), so the
"missing module, installed for real" scenario needs no network. The committed wheel is the output of
this script; it is byte-for-byte reproducible (fixed timestamps, sorted entries).
"""
import base64
import hashlib
import pathlib
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
NAME, DIST, VERSION = "sparkline", "neolight_sparkline", "1.0.0"
INFO = f"{DIST}-{VERSION}.dist-info"
STAMP = (2026, 1, 1, 0, 0, 0)


def digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def main() -> None:
    files = {}
    for path in sorted((HERE / "wheel-src" / NAME).rglob("*.py")):
        files[f"{NAME}/{path.relative_to(HERE / 'wheel-src' / NAME).as_posix()}"] = path.read_bytes()
    files[f"{INFO}/METADATA"] = (
        "Metadata-Version: 2.1\n"
        "Name: neolight-sparkline\n"
        f"Version: {VERSION}\n"
        "Summary: Tiny text sparklines (NeoLight self-healing demo package)\n"
        "License: MIT\n"
        "Requires-Python: >=3.8\n"
    ).encode()
    files[f"{INFO}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: build_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    ).encode()
    files[f"{INFO}/top_level.txt"] = f"{NAME}\n".encode()
    record = "".join(f"{name},{digest(data)},{len(data)}\n" for name, data in files.items())
    record += f"{INFO}/RECORD,,\n"
    files[f"{INFO}/RECORD"] = record.encode()

    out = HERE / "wheels" / f"{DIST}-{VERSION}-py3-none-any.whl"
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as whl:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            whl.writestr(info, data)
    print(out.relative_to(HERE))


if __name__ == "__main__":
    main()
