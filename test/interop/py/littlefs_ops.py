"""Reference littlefs (littlefs-python, the C library) for the LittleFS interop suite.

  dump <image> <block_size> <block_count>
      mount the image read as it is and print the tree as JSON:
      {"disk_version": int, "dirs": [path...], "files": {path: hex}, "used_blocks": int}
  make <image> <block_size> <block_count> <spec.json> <disk_version>
      format an image with Zephyr's littlefs settings and apply the spec:
      {"dirs": [path...], "files": {path: hex}, "remove": [path...], "rename": [[from, to]...],
       "block_cycles": n, "rewrites": [{"path": p, "times": n}...]}  (the last two optional: wear the
      image in, so littlefs relocates pairs and expands the superblock)
      disk_version 0 means the library's newest (2.1); 0x20000 writes 2.0 as Zephyr v3.5.0 does.
      Afterwards the tree is dumped as for `dump`, so the caller knows what the library sees.
"""

import json
import sys

from littlefs import LittleFS, UserContext


def geometry(block_size, block_count, disk_version=0, block_cycles=512):
    # Zephyr's defaults (subsys/fs/Kconfig.littlefs): read/prog 16, cache 64, lookahead 32, 512 cycles.
    return dict(
        block_size=block_size,
        block_count=block_count,
        read_size=16,
        prog_size=16,
        cache_size=64,
        lookahead_size=32,
        block_cycles=block_cycles,
        name_max=255,
        disk_version=disk_version,
    )


def tree(fs):
    dirs, files = [], {}
    for top, dirnames, filenames in fs.walk("/"):
        base = top.rstrip("/")
        for d in dirnames:
            dirs.append(f"{base}/{d}")
        for f in filenames:
            with fs.open(f"{base}/{f}", "rb") as fh:
                files[f"{base}/{f}"] = fh.read().hex()
    return {
        "disk_version": fs.fs_stat().disk_version,
        "dirs": sorted(dirs),
        "files": files,
        "used_blocks": fs.used_block_count,
    }


def dump(image, block_size, block_count):
    with open(image, "rb") as f:
        data = bytearray(f.read())
    ctx = UserContext(buffer=data)
    fs = LittleFS(context=ctx, mount=False, **geometry(block_size, block_count))
    fs.mount()
    print(json.dumps(tree(fs)))


def make(image, block_size, block_count, spec_path, disk_version):
    with open(spec_path) as f:
        spec = json.load(f)
    ctx = UserContext(buffsize=block_size * block_count)
    cycles = spec.get("block_cycles", 512)
    fs = LittleFS(context=ctx, mount=False, **geometry(block_size, block_count, disk_version, cycles))
    fs.format()
    fs.mount()
    for d in spec.get("dirs", []):
        fs.mkdir(d)
    for path, hexdata in spec.get("files", {}).items():
        with fs.open(path, "wb") as fh:
            fh.write(bytes.fromhex(hexdata))
    for path in spec.get("remove", []):
        fs.remove(path)
    for src, dst in spec.get("rename", []):
        fs.rename(src, dst)
    for rewrite in spec.get("rewrites", []):
        for i in range(rewrite["times"]):
            with fs.open(rewrite["path"], "wb") as fh:
                fh.write(bytes([i % 256]) * (20 + i % 40))
    out = tree(fs)
    fs.unmount()
    with open(image, "wb") as f:
        f.write(ctx.buffer)
    print(json.dumps(out))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "dump":
        dump(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6], 0))
    else:
        sys.exit(f"unknown command {cmd!r}: use dump or make")
