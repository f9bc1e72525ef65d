#!/usr/bin/env python3
"""Virtual BLE radio for CI: two or more Bumble virtual controllers on one in-memory link, each
exposed to a host stack (noble, bleno, ble-host, bleak ...) as an H4 UART on a PTY.

Run it with the venv that scripts/ble/setup.sh installs (bumble pinned to 0.0.236: this file
subclasses Bumble internals, bumble/controller.py and bumble/link.py of that release):

    .cache/ble/venv/bin/python scripts/ble/virtual-radio.py /tmp/x/hci0 /tmp/x/hci1 \\
        --interval-ms 15 --max-pdus-per-event 6 --data-length 251 --phy 2M

It prints one JSON readiness line on stdout (PTY paths and addresses of each controller, the air
settings and the link's ceiling), then runs until SIGTERM/SIGINT, when it removes its PTY links
and exits 0. `--print-ceiling` prints the ceiling for the given settings and exits.

What it changes in Bumble's stock controllers (bumble/apps/controllers.py), each found to break
real host stacks:
  * every controller gets its own public and random address (stock: all 00:00:00:00:00:00);
  * link ACL is routed by the connection's own address (stock: the sender's random address, so a
    host that connects with its public address never gets its peer's data);
  * HCI Reset clears advertising, scanning, a pending connect, and terminates connections (the
    peer gets Disconnection Complete, reason 0x13), so a new host after a dead one starts clean;
  * LE Set Data Length and LE Set PHY are answered (with LE Data Length Change / PHY Update);
  * legacy advertising runs at the host's interval (stock reads 0.625 ms units as ms);
  * scan responses carry the advertiser's scan response data (stock repeats the advertising
    data, so a name that a peripheral puts in its scan response is never seen);
  * the air is modelled (scripts/ble/air_model.py for the rules and the ceiling formula,
    AirLink in scripts/ble/radio_controllers.py for the scheduling): Bumble itself delivers every
    packet instantly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from air_model import PHY_RATE, AirSettings, link_ceiling  # noqa: E402

def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            'air model: each ACL packet takes the air time of its LL PDUs (data length, PHY) inside '
            'connection events every --interval-ms, both directions sharing each event; the '
            "link's ceiling formula is written out in scripts/ble/air_model.py and printed by --print-ceiling."
        ),
    )
    parser.add_argument('pty', nargs='*', help='symlink path for each controller\'s PTY (two or more)')
    parser.add_argument(
        '--interval-ms', type=float, default=15.0, help='connection interval, 7.5..4000 in 1.25 ms steps (default 15)'
    )
    parser.add_argument(
        '--max-pdus-per-event',
        type=int,
        default=0,
        help='LL data PDUs each side may send per connection event; 0 = as many as fit (default 0)',
    )
    parser.add_argument(
        '--data-length',
        type=int,
        default=251,
        help='largest LL payload the controllers support, 27..251 (default 251); links start at 27 '
        'until a host sends LE Set Data Length',
    )
    parser.add_argument('--phy', choices=sorted(PHY_RATE), default='2M', help='PHY of connections (default 2M)')
    parser.add_argument(
        '--no-air', action='store_true', help="deliver ACL instantly (Bumble's own behaviour), no air model"
    )
    parser.add_argument(
        '--hci-acl-length', type=int, default=251, help='LE ACL data length the controllers announce to hosts'
    )
    parser.add_argument(
        '--hci-acl-buffers', type=int, default=64, help='LE ACL buffers the controllers announce to hosts'
    )
    parser.add_argument('--print-ceiling', action='store_true', help="print the link's ceiling as JSON and exit (needs no Bumble)")
    parser.add_argument(
        '--att-mtu', type=int, action='append', help='ATT MTU for --print-ceiling (repeatable; default 247 and 517)'
    )
    parser.add_argument('--log-level', default='WARNING', help='Bumble log level on stderr (default WARNING)')
    args = parser.parse_args(argv)

    def fail(message: str) -> None:
        parser.error(message)

    steps = args.interval_ms / 1.25
    if not 7.5 <= args.interval_ms <= 4000 or abs(steps - round(steps)) > 1e-9:
        fail(f'--interval-ms {args.interval_ms}: a connection interval is 7.5..4000 ms in steps of 1.25 ms')
    if not 27 <= args.data_length <= 251:
        fail(f'--data-length {args.data_length}: an LL data length is 27..251 octets')
    if args.max_pdus_per_event < 0:
        fail(f'--max-pdus-per-event {args.max_pdus_per_event}: give 0 (no limit) or a positive count')
    if not 27 <= args.hci_acl_length <= 1021 or not 1 <= args.hci_acl_buffers <= 255:
        fail('--hci-acl-length is 27..1021 and --hci-acl-buffers 1..255')
    for mtu in args.att_mtu or []:
        if not 23 <= mtu <= 517:
            fail(f'--att-mtu {mtu}: an ATT MTU is 23..517')
    if not args.print_ceiling and len(args.pty) < 2:
        fail(f'give two or more PTY link paths (got {len(args.pty)})')
    return args


def settings_of(args: argparse.Namespace) -> AirSettings:
    return AirSettings(args.interval_ms, args.max_pdus_per_event, args.data_length, args.phy)


def ceiling_report(settings: AirSettings, mtus: list[int]) -> dict:
    return {
        'interval_ms': settings.interval_ms,
        'max_pdus_per_event': settings.max_pdus_per_event,
        'data_length': settings.data_length,
        'phy': settings.phy,
        'ceilings': [link_ceiling(settings, mtu) for mtu in mtus],
    }


def main() -> int:
    args = parse_args(sys.argv[1:])
    if args.print_ceiling:
        print(json.dumps(ceiling_report(settings_of(args), args.att_mtu or [247, 517])))
        return 0
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s')
    # Bumble is imported only here: --print-ceiling runs without the venv.
    from radio_controllers import run

    return asyncio.run(run(args, settings_of(args)))


if __name__ == '__main__':
    sys.exit(main())
