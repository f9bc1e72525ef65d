"""Drives an SMP server with intercreate smpclient and prints one JSON line per operation.

Used by the zdfu interop tests where smpmgr's rich-text output is too loose for exact checks.

    smpclient_ops.py (--serial PATH | --udp HOST | --transport ble --hci SPEC --name NAME [--mtu N])
                     [--timeout S] OP [ARG] [OP [ARG] ...]

BLE goes through smpclient's own Bumble host stack (the `smpclient[bumble]` extra), on an HCI
controller Bumble opens from SPEC, e.g. `serial:/path/to/pty` for a virtual radio controller;
NAME is the advertised name it scans for.

OPs: link | echo TEXT | params | state | upload FILE | test HASHHEX | confirm [HASHHEX|-] | reset |
     fs-upload LOCAL REMOTE | fs-download REMOTE LOCAL | fs-status REMOTE |
     fs-hash REMOTE TYPE (crc32 or sha256) | fs-types | fs-close
An SMP error reply prints {"op", "error", "rc"[, "group"]} and ends the run with exit code 2.
"""

import argparse
import asyncio
import json
import sys
import time

from smpclient import SMPClient
from smpclient.generics import error, success
from smpclient.requests.file_management import (
    FileClose,
    FileHashChecksum,
    FileStatus,
    SupportedFileHashChecksumTypes,
)
from smpclient.requests.image_management import ImageStatesRead, ImageStatesWrite
from smpclient.requests.os_management import EchoWrite, MCUMgrParametersRead, ResetWrite
from smpclient.transport.bumble import SMPBumbleTransport
from smpclient.transport.serial import Auto, SMPSerialTransport
from smpclient.transport.udp import SMPUDPTransport

ARITY = {
    "link": 0,
    "echo": 1,
    "params": 0,
    "state": 0,
    "upload": 1,
    "test": 1,
    "confirm": 0,
    "reset": 0,
    "fs-upload": 2,
    "fs-download": 2,
    "fs-status": 1,
    "fs-hash": 2,
    "fs-types": 0,
    "fs-close": 0,
}


class RecordingClient(SMPClient):
    """Keeps the last reply so the upload's final `match` (checked by smpclient) can be shown."""

    last_response = None

    async def request(self, request, timeout_s=None):  # type: ignore[override]
        response = await super().request(request, timeout_s)
        self.last_response = response
        return response


def parse_ops(words):
    ops = []
    i = 0
    while i < len(words):
        name = words[i]
        if name not in ARITY:
            raise SystemExit(f"unknown op {name!r}; known: {', '.join(ARITY)}")
        arity = ARITY[name]
        # `confirm` takes an optional hash; "-" or a following op name means none.
        if name == "confirm" and i + 1 < len(words) and words[i + 1] not in ARITY:
            arity = 1
        args = words[i + 1 : i + 1 + arity]
        if len(args) != arity:
            raise SystemExit(f"op {name!r} needs {arity} argument(s)")
        ops.append((name, args))
        i += 1 + arity
    return ops


def image_states(response):
    return [
        {
            "image": s.image,
            "slot": s.slot,
            "version": s.version,
            "hash": bytes(s.hash).hex() if s.hash is not None else None,
            "bootable": s.bootable,
            "pending": s.pending,
            "confirmed": s.confirmed,
            "active": s.active,
            "permanent": s.permanent,
        }
        for s in response.images
    ]


def describe_error(response):
    """An SMP error reply: v2 `err {group, rc}` or v1 `rc`, as smpclient decoded it."""
    err = getattr(response, "err", None)
    if err is not None:
        return {"error": str(response), "group": int(err.group), "rc": int(err.rc)}
    return {"error": str(response), "rc": int(response.rc)}


async def run_op(client, name, args):
    if name == "link":
        # No request: what the transport settled on (over BLE, ATT MTU − 3 per write).
        transport = client._transport
        return None, lambda: {"mtu": transport.mtu, "max_unencoded_size": transport.max_unencoded_size}
    if name == "echo":
        started = time.monotonic()
        r = await client.request(EchoWrite(d=args[0]))
        seconds = time.monotonic() - started
        return r, lambda: {"r": r.r, "seconds": seconds}
    if name == "params":
        r = await client.request(MCUMgrParametersRead())
        return r, lambda: {"buf_size": r.buf_size, "buf_count": r.buf_count}
    if name == "state":
        r = await client.request(ImageStatesRead())
        return r, lambda: {"images": image_states(r)}
    if name == "test" or name == "confirm":
        digest = bytes.fromhex(args[0]) if args and args[0] != "-" else None
        r = await client.request(ImageStatesWrite(hash=digest, confirm=name == "confirm"))
        return r, lambda: {"images": image_states(r)}
    if name == "reset":
        r = await client.request(ResetWrite())
        return r, lambda: {}
    if name == "upload":
        with open(args[0], "rb") as f:
            image = f.read()
        started = time.monotonic()
        offsets = [offset async for offset in client.upload(image)]
        seconds = time.monotonic() - started
        last = client.last_response
        return last, lambda: {
            "size": len(image),
            "requests": len(offsets),
            "final_off": offsets[-1],
            "match": getattr(last, "match", None),
            "seconds": seconds,
        }
    if name == "fs-upload":
        with open(args[0], "rb") as f:
            data = f.read()
        started = time.monotonic()
        offsets = [offset async for offset in client.upload_file(data, args[1])]
        seconds = time.monotonic() - started
        return client.last_response, lambda: {
            "size": len(data),
            "requests": len(offsets),
            "final_off": offsets[-1],
            "seconds": seconds,
        }
    if name == "fs-download":
        started = time.monotonic()
        data = await client.download_file(args[0])
        seconds = time.monotonic() - started
        with open(args[1], "wb") as f:
            f.write(data)
        return client.last_response, lambda: {"size": len(data), "seconds": seconds}
    if name == "fs-status":
        r = await client.request(FileStatus(name=args[0]))
        return r, lambda: {"len": r.len}
    if name == "fs-hash":
        r = await client.request(FileHashChecksum(name=args[0], type=args[1]))

        def hash_result():
            output = r.output.hex() if isinstance(r.output, (bytes, bytearray)) else r.output
            return {"type": r.type, "off": r.off, "len": r.len, "output": output}

        return r, hash_result
    if name == "fs-types":
        r = await client.request(SupportedFileHashChecksumTypes())
        return r, lambda: {
            "types": {name: {"format": t.format, "size": t.size} for name, t in r.types.items()}
        }
    if name == "fs-close":
        r = await client.request(FileClose())
        return r, lambda: {}
    raise AssertionError(name)


async def main():
    parser = argparse.ArgumentParser()
    link = parser.add_mutually_exclusive_group(required=True)
    link.add_argument("--serial")
    link.add_argument("--udp", help="host; smpclient always uses port 1337")
    link.add_argument("--transport", choices=["ble"], help="ble: needs --hci and --name")
    parser.add_argument("--hci", help="Bumble HCI transport spec, e.g. serial:/path/to/pty")
    parser.add_argument("--name", help="advertised name of the BLE peripheral")
    parser.add_argument("--mtu", type=int, default=247, help="ATT MTU to ask for (smpclient's default)")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("ops", nargs="+")
    options = parser.parse_args()
    if options.transport == "ble" and not (options.hci and options.name):
        parser.error("--transport ble needs --hci SPEC and --name NAME")
    ops = parse_ops(options.ops)

    if options.serial:
        transport, address = SMPSerialTransport(Auto()), options.serial
    elif options.udp:
        transport, address = SMPUDPTransport(), options.udp
    else:
        transport = SMPBumbleTransport(hci=options.hci, preferred_mtu=options.mtu)
        address = options.name
    client = RecordingClient(transport, address, options.timeout)
    # The scan for the name is bounded by --timeout, but not Bumble's LE connect, GATT discovery
    # and MTU exchange that follow it: bound the whole connect.
    await asyncio.wait_for(client.connect(), options.timeout * 3)
    try:
        for name, args in ops:
            response, describe = await run_op(client, name, args)
            if response is not None and error(response):
                print(json.dumps({"op": name, **describe_error(response)}), flush=True)
                return 2
            assert response is None or success(response), response
            print(json.dumps({"op": name, **describe()}), flush=True)
    finally:
        await client.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
