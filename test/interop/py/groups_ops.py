"""Drives the settings (3), enumeration (10) and Zephyr basic (63) groups of an SMP server with a
peer's own API and prints one JSON line per operation.

    groups_ops.py --peer smpclient|toolkit (--serial PATH | --udp HOST) OP [ARG] [OP [ARG] ...]

smpclient is intercreate's (async API, UDP port 1337); toolkit is Finomnis' mcumgr-toolkit.
OPs: write NAME TEXT | read NAME | read-max NAME N | delete NAME | commit | load | save |
     count | list | single N | details | erase
An error does not end the run: it prints {"op", "error"[, "group", "rc"]} and goes on.
"""

import argparse
import asyncio
import json
import sys

ARITY = {
    "write": 2,
    "read": 1,
    "read-max": 2,
    "delete": 1,
    "commit": 0,
    "load": 0,
    "save": 0,
    "count": 0,
    "list": 0,
    "single": 1,
    "details": 0,
    "erase": 0,
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


def show(value):
    return {"val": value.hex(), "text": value.decode("utf-8", "replace")}


async def run_smpclient(options, ops):
    from smpclient import SMPClient
    from smpclient.generics import error
    from smpclient.requests import enumeration_management as em
    from smpclient.requests import settings_management as sm
    from smpclient.requests import zephyr_management as zm
    from smpclient.transport.serial import Auto, SMPSerialTransport
    from smpclient.transport.udp import SMPUDPTransport

    if options.serial:
        transport, address = SMPSerialTransport(Auto()), options.serial
    else:
        transport, address = SMPUDPTransport(), options.udp
    client = SMPClient(transport, address, 5.0)
    await client.connect()
    try:
        for name, args in ops:
            if name == "write":
                r = await client.request(sm.WriteSetting(name=args[0], val=args[1].encode()))
                out = lambda r: {}
            elif name in ("read", "read-max"):
                max_size = int(args[1]) if name == "read-max" else None
                r = await client.request(sm.ReadSetting(name=args[0], max_size=max_size))
                out = lambda r: {**show(bytes(r.val)), "max_size": r.max_size}
            elif name == "delete":
                r = await client.request(sm.DeleteSetting(name=args[0]))
                out = lambda r: {}
            elif name in ("commit", "load", "save"):
                request = {"commit": sm.CommitSettings, "load": sm.LoadSettings, "save": sm.SaveSettings}[name]
                r = await client.request(request())
                out = lambda r: {}
            elif name == "count":
                r = await client.request(em.CountSupportedGroups())
                out = lambda r: {"count": r.count}
            elif name == "list":
                r = await client.request(em.ListSupportedGroups())
                out = lambda r: {"groups": [int(g) for g in r.groups]}
            elif name == "single":
                r = await client.request(em.GroupId(index=int(args[0])))
                out = lambda r: {"group": int(r.group), "end": r.end}
            elif name == "details":
                r = await client.request(em.GroupDetails())
                out = lambda r: {
                    "groups": [{"group": int(g.group), "name": g.name, "handlers": g.handlers} for g in r.groups]
                }
            elif name == "erase":
                r = await client.request(zm.EraseStorage())
                out = lambda r: {}
            else:
                raise AssertionError(name)
            if error(r):
                err = getattr(r, "err", None)
                detail = {"group": int(err.group), "rc": int(err.rc)} if err is not None else {"rc": int(r.rc)}
                print(json.dumps({"op": name, "error": str(r), **detail}), flush=True)
            else:
                print(json.dumps({"op": name, **out(r)}), flush=True)
    finally:
        await client.disconnect()


def run_toolkit(options, ops):
    import mcumgr_toolkit

    if options.serial:
        client = mcumgr_toolkit.MCUmgrClient.serial(options.serial, 115200, 5000)
    else:
        client = mcumgr_toolkit.MCUmgrClient.udp(options.udp, 1337, 5000)
    for name, args in ops:
        try:
            if name == "write":
                client.settings_write(args[0], args[1].encode())
                result = {}
            elif name == "read":
                result = show(client.settings_read(args[0]))
            elif name == "read-max":
                data = client.settings_read_ext(args[0], int(args[1]))
                result = {**show(data.value), "max_size": data.max_size}
            elif name == "delete":
                client.settings_delete(args[0])
                result = {}
            elif name == "commit":
                client.settings_commit()
                result = {}
            elif name == "load":
                client.settings_load()
                result = {}
            elif name == "save":
                client.settings_save()
                result = {}
            elif name == "count":
                result = {"count": client.enum_get_group_count()}
            elif name == "list":
                result = {"groups": client.enum_get_group_ids()}
            elif name == "single":
                result = {"group": client.enum_get_group_id(int(args[0]))}
            elif name == "details":
                result = {
                    "groups": [
                        {"group": g.group, "name": g.name, "handlers": g.handlers}
                        for g in client.enum_get_group_details()
                    ]
                }
            elif name == "erase":
                client.zephyr_erase_storage()
                result = {}
            else:
                raise AssertionError(name)
        except Exception as error:  # the toolkit raises RuntimeError with a rendered report
            print(json.dumps({"op": name, "error": str(error)}), flush=True)
            continue
        print(json.dumps({"op": name, **result}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", choices=["smpclient", "toolkit"], required=True)
    link = parser.add_mutually_exclusive_group(required=True)
    link.add_argument("--serial")
    link.add_argument("--udp", help="host; port 1337")
    parser.add_argument("ops", nargs="+")
    options = parser.parse_args()
    ops = parse_ops(options.ops)
    if options.peer == "smpclient":
        asyncio.run(run_smpclient(options, ops))
    else:
        run_toolkit(options, ops)
    return 0


if __name__ == "__main__":
    sys.exit(main())
