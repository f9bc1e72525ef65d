"""Runs OS-group and shell-group calls with Finomnis' mcumgr-toolkit; one JSON line per call.

Used by test/interop/os-shell.test.ts.

    os_shell_toolkit.py (--serial PATH | --udp HOST:PORT) OPS_JSON

OPS_JSON is a JSON list of [op, *args]; ops: taskstat | mpstat | datetime-get | datetime-set ISO |
info [FORMAT] | bootloader | shell WORD... | reset-boot-mode N.
A call that raises prints {"op", "error": "<the toolkit's message>"}; the run goes on.
"""

import argparse
import datetime
import json
import sys

import mcumgr_toolkit


def run(client, op, args):
    if op == "taskstat":
        tasks = client.os_task_statistics()
        return {"tasks": {name: {"prio": t.prio, "tid": t.tid, "state": t.state} for name, t in tasks.items()}}
    if op == "mpstat":
        return {"pools": {name: repr(p) for name, p in client.os_memory_pool_statistics().items()}}
    if op == "datetime-get":
        return {"datetime": client.os_get_datetime().isoformat()}
    if op == "datetime-set":
        client.os_set_datetime(datetime.datetime.fromisoformat(args[0]))
        return {}
    if op == "info":
        return {"output": client.os_application_info(args[0] if args else None)}
    if op == "bootloader":
        return {"info": client.os_bootloader_info()}
    if op == "shell":
        return {"o": client.shell_execute(list(args), use_retries=False)}
    if op == "reset-boot-mode":
        client.os_system_reset(boot_mode=int(args[0]))
        return {}
    raise SystemExit(f"unknown op {op!r}")


def main():
    parser = argparse.ArgumentParser()
    link = parser.add_mutually_exclusive_group(required=True)
    link.add_argument("--serial")
    link.add_argument("--udp", help="HOST:PORT")
    parser.add_argument("--timeout-ms", type=int, default=5000)
    parser.add_argument("ops")
    options = parser.parse_args()
    if options.serial:
        client = mcumgr_toolkit.MCUmgrClient.serial(options.serial, 115200, options.timeout_ms)
    else:
        host, port = options.udp.rsplit(":", 1)
        client = mcumgr_toolkit.MCUmgrClient.udp(host, int(port), options.timeout_ms)
    for op, *args in json.loads(options.ops):
        try:
            result = run(client, op, args)
        except Exception as exc:
            print(json.dumps({"op": op, "error": str(exc)}), flush=True)
            continue
        print(json.dumps({"op": op, **result}, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
