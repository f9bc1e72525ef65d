"""Runs OS-group and shell-group requests with intercreate smpclient; one JSON line per request.

Used by test/interop/os-shell.test.ts.

    os_shell_smpclient.py (--serial PATH | --udp HOST) [--timeout S] OPS_JSON

OPS_JSON is a JSON list of [op, *args]; ops: taskstat | mpstat | datetime-get | datetime-set TEXT |
info [FORMAT] | bootloader [QUERY] | shell WORD... | reset-boot-mode N.
A reply smpclient reads as an error prints {"op", "error", "rc"[, "group"]}; a reply it cannot
parse prints {"op", "exception"}; the run goes on with the next op.
"""

import argparse
import asyncio
import json
import sys

from smpclient import SMPClient
from smpclient.generics import error
from smpclient.requests.os_management import (
    BootloaderInformationRead,
    DateTimeRead,
    DateTimeWrite,
    MemoryPoolStatisticsRead,
    OSApplicationInfoRead,
    ResetWrite,
    TaskStatisticsRead,
)
from smpclient.requests.shell_management import Execute
from smpclient.transport.serial import Auto, SMPSerialTransport
from smpclient.transport.udp import SMPUDPTransport


def describe_error(response):
    err = getattr(response, "err", None)
    if err is not None:
        return {"error": str(response), "group": int(err.group), "rc": int(err.rc)}
    return {"error": str(response), "rc": int(response.rc)}


def request_for(op, args):
    if op == "taskstat":
        return TaskStatisticsRead(), lambda r: {
            "tasks": {name: {"prio": t.prio, "tid": t.tid, "state": t.state} for name, t in r.tasks.items()}
        }
    if op == "mpstat":
        return MemoryPoolStatisticsRead(), lambda r: {"pools": r.model_dump(exclude={"header", "version", "sequence", "smp_data"})}
    if op == "datetime-get":
        return DateTimeRead(), lambda r: {"datetime": r.datetime}
    if op == "datetime-set":
        return DateTimeWrite(datetime=args[0]), lambda r: {}
    if op == "info":
        request = OSApplicationInfoRead(format=args[0]) if args else OSApplicationInfoRead()
        return request, lambda r: {"output": r.output}
    if op == "bootloader":
        request = BootloaderInformationRead(query=args[0]) if args else BootloaderInformationRead()
        return request, lambda r: {"bootloader": r.bootloader, "response": repr(r.response)}
    if op == "shell":
        return Execute(argv=list(args)), lambda r: {"o": r.o, "ret": r.ret}
    if op == "reset-boot-mode":
        return ResetWrite(boot_mode=int(args[0])), lambda r: {}
    raise SystemExit(f"unknown op {op!r}")


async def main():
    parser = argparse.ArgumentParser()
    link = parser.add_mutually_exclusive_group(required=True)
    link.add_argument("--serial")
    link.add_argument("--udp", help="host; smpclient always uses port 1337")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("ops")
    options = parser.parse_args()
    ops = json.loads(options.ops)
    if options.serial:
        transport, address = SMPSerialTransport(Auto()), options.serial
    else:
        transport, address = SMPUDPTransport(), options.udp
    client = SMPClient(transport, address, options.timeout)
    await client.connect()
    try:
        for op, *args in ops:
            request, describe = request_for(op, args)
            try:
                response = await client.request(request)
            except Exception as exc:  # a reply smpclient could not parse, or none at all
                print(json.dumps({"op": op, "exception": f"{type(exc).__name__}: {exc}"}), flush=True)
                continue
            if error(response):
                print(json.dumps({"op": op, **describe_error(response)}), flush=True)
                continue
            print(json.dumps({"op": op, **describe(response)}), flush=True)
    finally:
        await client.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
