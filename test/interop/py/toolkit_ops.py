"""Drives an SMP server with Finomnis' mcumgr-toolkit (Rust core, Python API); one JSON line per op.

    toolkit_ops.py (--serial PATH | --udp HOST:PORT) OP [ARG] [OP [ARG] ...]

OPs: echo TEXT | params | state | upload FILE | test HASHHEX | confirm | reset |
     update FILE (firmware_update: inspect, upload, mark for test, reboot) |
     update-confirm FILE (the same with force_confirm) |
     fs-upload LOCAL REMOTE | fs-download REMOTE LOCAL | fs-status REMOTE |
     fs-hash REMOTE TYPE (crc32 or sha256) | fs-types | fs-close
A failed op prints {"op": ..., "error": "<the toolkit's message>"} and ends the run with exit code 2.
"""

import argparse
import json
import sys
import time

import mcumgr_toolkit

ARITY = {
    "echo": 1,
    "params": 0,
    "state": 0,
    "upload": 1,
    "test": 1,
    "confirm": 0,
    "reset": 0,
    "update": 1,
    "update-confirm": 1,
    "fs-upload": 2,
    "fs-download": 2,
    "fs-status": 1,
    "fs-hash": 2,
    "fs-types": 0,
    "fs-close": 0,
}


def parse_ops(words):
    ops = []
    i = 0
    while i < len(words):
        name = words[i]
        if name not in ARITY:
            raise SystemExit(f"unknown op {name!r}; known: {', '.join(ARITY)}")
        args = words[i + 1 : i + 1 + ARITY[name]]
        if len(args) != ARITY[name]:
            raise SystemExit(f"op {name!r} needs {ARITY[name]} argument(s)")
        ops.append((name, args))
        i += 1 + ARITY[name]
    return ops


def image_states(states):
    return [
        {
            "image": s.image,
            "slot": s.slot,
            "version": s.version,
            "hash": s.hash.hex() if s.hash is not None else None,
            "bootable": s.bootable,
            "pending": s.pending,
            "confirmed": s.confirmed,
            "active": s.active,
            "permanent": s.permanent,
        }
        for s in states
    ]


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def run_op(client, name, args):
    if name == "echo":
        return {"r": client.os_echo(args[0])}
    if name == "params":
        params = client.os_mcumgr_parameters()
        return {"buf_size": params.buf_size, "buf_count": params.buf_count}
    if name == "state":
        return {"images": image_states(client.image_get_state())}
    if name == "test":
        return {"images": image_states(client.image_set_state(bytes.fromhex(args[0]), False))}
    if name == "confirm":
        return {"images": image_states(client.image_set_state(None, True))}
    if name == "reset":
        client.os_system_reset()
        return {}
    if name == "upload":
        image = read_file(args[0])
        progress = []
        started = time.monotonic()
        client.image_upload(image, progress=lambda done, total: progress.append(done))
        return {
            "size": len(image),
            "final_off": progress[-1] if progress else None,
            "seconds": time.monotonic() - started,
        }
    if name in ("update", "update-confirm"):
        steps = []
        client.firmware_update(
            read_file(args[0]),
            force_confirm=name == "update-confirm",
            progress=lambda step, _counts: steps.append(step) if not steps or steps[-1] != step else None,
        )
        return {"steps": steps}
    if name == "fs-upload":
        data = read_file(args[0])
        started = time.monotonic()
        client.fs_file_upload(args[1], data)
        return {"size": len(data), "seconds": time.monotonic() - started}
    if name == "fs-download":
        started = time.monotonic()
        data = client.fs_file_download(args[0])
        seconds = time.monotonic() - started
        with open(args[1], "wb") as f:
            f.write(data)
        return {"size": len(data), "seconds": seconds}
    if name == "fs-status":
        return {"len": client.fs_file_status(args[0]).length}
    if name == "fs-hash":
        result = client.fs_file_checksum(args[0], args[1])
        return {"type": result.type, "off": result.offset, "len": result.length, "output": bytes(result.output).hex()}
    if name == "fs-types":
        return {
            "types": {
                name: {"format": str(props.format), "size": props.size}
                for name, props in client.fs_supported_checksum_types().items()
            }
        }
    if name == "fs-close":
        client.fs_file_close()
        return {}
    raise AssertionError(name)


def main():
    parser = argparse.ArgumentParser()
    link = parser.add_mutually_exclusive_group(required=True)
    link.add_argument("--serial")
    link.add_argument("--udp", help="HOST:PORT")
    parser.add_argument("--timeout-ms", type=int, default=5000)
    parser.add_argument("ops", nargs="+")
    options = parser.parse_args()
    ops = parse_ops(options.ops)

    if options.serial:
        client = mcumgr_toolkit.MCUmgrClient.serial(options.serial, 115200, options.timeout_ms)
    else:
        host, port = options.udp.rsplit(":", 1)
        client = mcumgr_toolkit.MCUmgrClient.udp(host, int(port), options.timeout_ms)
    client.use_auto_frame_size()
    for name, args in ops:
        try:
            result = run_op(client, name, args)
        except Exception as error:  # the toolkit raises RuntimeError with a rendered report
            print(json.dumps({"op": name, "error": str(error)}), flush=True)
            return 2
        print(json.dumps({"op": name, **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
