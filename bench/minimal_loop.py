#!/usr/bin/env python3
"""The benchmark's Python comparator for COPY+MEASURE regions: the smallest honest program that
computes the same launch-digest chain for one region of NORMAL pages read from a file.

For each 4 KiB page: CONTENTS = SHA-384(page), then LD = SHA-384(PAGE_INFO), where PAGE_INFO
is LD || CONTENTS || length 0x70 (u16) || page type 1 || 5 zero bytes || GPA (u64), little endian
(snp-launch-digest.md sections 2 and 3). Reads 1 MiB at a time, so memory stays flat.

Usage: minimal_loop.py FILE GPA_HEX    prints the digest after the region's last page (hex).
"""
import hashlib
import sys

PAGE = 4096
CHUNK = 1 << 20


def main() -> None:
    path, gpa = sys.argv[1], int(sys.argv[2], 16)
    fixed = (0x70).to_bytes(2, 'little') + b'\x01' + bytes(5)
    ld = bytes(48)
    sha384 = hashlib.sha384
    with open(path, 'rb', buffering=0) as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                break
            view = memoryview(chunk)
            for off in range(0, len(chunk), PAGE):
                contents = sha384(view[off:off + PAGE]).digest()
                ld = sha384(ld + contents + fixed + gpa.to_bytes(8, 'little')).digest()
                gpa += PAGE
    print(ld.hex())


main()
