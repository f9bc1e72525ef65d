"""Bumble virtual controllers on one in-memory link, fixed for real host stacks, with an air model.

Written against bumble==0.0.236 (bumble/controller.py, bumble/link.py): it overrides Controller
handlers and reads Controller/Connection fields (le_connections, le_legacy_advertiser,
advertising_sets, pending_le_connection), which change between Bumble releases: keep the pin.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import json
import logging
import math
import os
import signal
import time
from argparse import Namespace

from air_model import LL_DEFAULT_DATA_LENGTH, T_IFS_US, AirSettings, exchange_us, link_ceiling, pdu_air_us
from bumble import hci, ll
from bumble.controller import Connection, Controller, LegacyAdvertiser
from bumble.core import PhysicalTransport
from bumble.link import LocalLink
from bumble.transport import open_transport

logger = logging.getLogger('virtual-radio')

LE = PhysicalTransport.LE
PHY_CODE = {'1M': hci.HCI_LE_1M_PHY, '2M': hci.HCI_LE_2M_PHY}
# HCI ACL Packet_Boundary_Flag (Vol 4 Part E §5.4.2): 0b01 continues an L2CAP PDU, others start one.
PB_CONTINUATION = 0b01
# What the peer of a controller that was reset sees (Vol 1 Part F §2: Remote User Terminated).
REASON_REMOTE_USER_TERMINATED = hci.HCI_ErrorCode.REMOTE_USER_TERMINATED_CONNECTION_ERROR


def public_address(index: int) -> hci.Address:
    return hci.Address(f'10:00:00:00:00:{index + 1:02X}', hci.Address.PUBLIC_DEVICE_ADDRESS)


def random_address(index: int) -> hci.Address:
    # Static random address: the two top bits are 1 (Vol 6 Part B §1.3.2.1).
    return hci.Address(f'C0:00:00:00:00:{index + 1:02X}', hci.Address.RANDOM_DEVICE_ADDRESS)


# -----------------------------------------------------------------------------
# Air model: one AirLink per connection, shared by its two Connection objects
# -----------------------------------------------------------------------------
@dataclasses.dataclass
class L2capPdu:
    data: bytearray
    total: int | None = None  # 4 + the L2CAP length field, once two octets are in
    sent: int = 0

    def learn_total(self) -> None:
        if self.total is None and len(self.data) >= 2:
            self.total = 4 + int.from_bytes(self.data[0:2], 'little')


class Direction:
    """What one side has queued for the air: L2CAP PDUs as the host's ACL packets bring them."""

    def __init__(self, sender: Connection) -> None:
        self.sender = sender
        self.data_length = LL_DEFAULT_DATA_LENGTH
        self.pdus: collections.deque[L2capPdu] = collections.deque()
        # Octets of each host ACL packet not yet on the air: the controller frees that buffer
        # (Number Of Completed Packets) only once the packet has gone, which is what paces a host.
        self.hci_octets: collections.deque[int] = collections.deque()

    def add(self, packet: hci.HCI_AclDataPacket) -> bool:
        data = bytes(packet.data)
        if packet.pb_flag == PB_CONTINUATION:
            last = self.pdus[-1] if self.pdus else None
            if last is None or (last.total is not None and len(last.data) >= last.total):
                logger.warning('ACL continuation with no L2CAP PDU to continue (handle 0x%04X): dropped',
                               packet.connection_handle)
                return False
            last.data.extend(data)
        else:
            if self.pdus:
                last = self.pdus[-1]
                if last.total is None or len(last.data) < last.total:
                    logger.warning('L2CAP PDU cut short by a new one (handle 0x%04X): sent as it is',
                                   packet.connection_handle)
                    last.total = len(last.data)
            self.pdus.append(L2capPdu(bytearray(data)))
        last = self.pdus[-1]
        last.learn_total()
        if last.total is not None and len(last.data) > last.total:
            logger.warning('ACL data beyond its L2CAP length (handle 0x%04X): sent as it is',
                           packet.connection_handle)
            last.total = len(last.data)
        self.hci_octets.append(len(data))
        return True

    def ready(self) -> int | None:
        """Payload of the next LL PDU this side can send now, or None."""
        if not self.pdus:
            return None
        head = self.pdus[0]
        if head.total is None:
            return None
        n = min(self.data_length, head.total - head.sent)
        return n if len(head.data) - head.sent >= n else None

    def take(self, n: int) -> tuple[int, bytes | None]:
        """Puts n octets on the air: (host ACL packets now completed, the L2CAP PDU if it is whole)."""
        head = self.pdus[0]
        head.sent += n
        completed = 0
        while n > 0 and self.hci_octets:
            step = min(n, self.hci_octets[0])
            n -= step
            self.hci_octets[0] -= step
            if self.hci_octets[0] == 0:
                self.hci_octets.popleft()
                completed += 1
        # Zero-length ACL packets complete with the octets before them.
        while self.hci_octets and self.hci_octets[0] == 0:
            self.hci_octets.popleft()
            completed += 1
        assert head.total is not None
        if head.sent < head.total:
            return completed, None
        self.pdus.popleft()
        return completed, bytes(head.data[: head.total])


class AirLink:
    """Connection events for one connection: each event, starting at its anchor, carries exchanges
    (one LL PDU each way) by the rules of air_model, and every PDU arrives at the peer when its
    last bit has been sent. Both directions share each event."""

    def __init__(self, radio: RadioLink, central: Connection, peripheral: Connection) -> None:
        self.radio = radio
        self.settings = radio.settings
        self.central = Direction(central)
        self.peripheral = Direction(peripheral)
        self.loop = asyncio.get_running_loop()
        self.anchor0 = self.loop.time()
        self.timer: asyncio.TimerHandle | None = None
        self.closed = False

    def direction_of(self, connection: Connection) -> Direction:
        return self.central if connection is self.central.sender else self.peripheral

    def other(self, direction: Direction) -> Direction:
        return self.peripheral if direction is self.central else self.central

    def close(self) -> None:
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    # -- data length (Vol 6 Part B §5.1.9, LL_LENGTH_REQ / LL_LENGTH_RSP) -----
    def request_data_length(self, requester: Connection, tx_octets: int) -> None:
        mine = self.direction_of(requester)
        theirs = self.other(mine)
        limit = self.settings.data_length  # each controller's largest RX and TX payload
        new_mine = max(LL_DEFAULT_DATA_LENGTH, min(tx_octets, limit))
        responder_tx = theirs.sender.controller.suggested_max_tx_octets
        new_theirs = max(LL_DEFAULT_DATA_LENGTH, min(responder_tx, limit))
        if (new_mine, new_theirs) == (mine.data_length, theirs.data_length):
            return
        # The procedure takes a request and a response: about two connection events.
        delay = 0 if self.settings.instant else 2 * self.settings.interval_ms / 1000

        def apply() -> None:
            if self.closed:
                return
            mine.data_length, theirs.data_length = new_mine, new_theirs
            for side in (mine, theirs):
                tx, rx = side.data_length, self.other(side).data_length
                side.sender.controller.send_hci_packet(
                    hci.HCI_LE_Data_Length_Change_Event(
                        connection_handle=side.sender.handle,
                        max_tx_octets=tx,
                        max_tx_time=max(328, math.ceil(pdu_air_us(tx, self.settings.phy))),
                        max_rx_octets=rx,
                        max_rx_time=max(328, math.ceil(pdu_air_us(rx, self.settings.phy))),
                    )
                )
            self.wake()

        self.loop.call_later(delay, apply)

    # -- ACL ------------------------------------------------------------------
    def submit(self, connection: Connection, packet: hci.HCI_AclDataPacket) -> None:
        direction = self.direction_of(connection)
        if len(direction.hci_octets) >= connection.controller.total_num_le_acl_data_packets:
            # The host sent more packets than the buffers it was given (it ignored Number Of
            # Completed Packets): a controller has nowhere to put it, and the queue stays bounded.
            logger.warning('[%s] host overran its %d ACL buffers (handle 0x%04X): packet dropped',
                           connection.controller.name, connection.controller.total_num_le_acl_data_packets,
                           connection.handle)
            return
        if not direction.add(packet):
            self.completed(connection, 1)
            return
        self.wake()

    def completed(self, connection: Connection, count: int) -> None:
        if count and not self.closed:
            connection.controller.send_hci_packet(
                hci.HCI_Number_Of_Completed_Packets_Event(
                    connection_handles=[connection.handle], num_completed_packets=[count]
                )
            )

    def deliver(self, sender: Connection, pdu: bytes) -> None:
        if not self.closed:
            self.radio.deliver(sender, pdu)

    def wake(self) -> None:
        if self.timer is not None or self.closed:
            return
        if self.central.ready() is None and self.peripheral.ready() is None:
            return
        interval = self.settings.interval_ms / 1000
        now = self.loop.time()
        anchor = self.anchor0 + math.ceil((now - self.anchor0) / interval) * interval
        self.timer = self.loop.call_at(anchor, self.connection_event, anchor)

    def connection_event(self, anchor: float) -> None:
        """Packs this event from what is queued now; data that comes later waits for the next one."""
        self.timer = None
        if self.closed:
            return
        phy = self.settings.phy
        used_us = 0.0
        exchanges = 0
        while True:
            c, p = self.central.ready(), self.peripheral.ready()
            if c is None and p is None:
                break
            x = exchange_us(c, p, phy)
            if not self.settings.fits(exchanges, used_us, x):
                break
            c_end = anchor + (used_us + pdu_air_us(c or 0, phy)) / 1e6
            p_end = anchor + (used_us + x - T_IFS_US) / 1e6
            # The central's PDU is acknowledged by the peripheral's answer, and the peripheral's by
            # the central's next PDU: both are free by the end of the exchange.
            for side, n, end in ((self.central, c, c_end), (self.peripheral, p, p_end)):
                if n is None:
                    continue
                count, whole = side.take(n)
                if whole is not None:
                    self.loop.call_at(end, self.deliver, side.sender, whole)
                if count:
                    self.loop.call_at(p_end, self.completed, side.sender, count)
            used_us += x
            exchanges += 1
        if self.central.ready() is not None or self.peripheral.ready() is not None:
            interval = self.settings.interval_ms / 1000
            next_anchor = anchor + interval
            self.timer = self.loop.call_at(next_anchor, self.connection_event, next_anchor)


# -----------------------------------------------------------------------------
# The link
# -----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RadioSettings(AirSettings):
    instant: bool = False  # --no-air: Bumble's instant delivery


class RadioLink(LocalLink):
    def __init__(self, settings: RadioSettings) -> None:
        super().__init__()
        self.settings = settings
        # Scan response data of each advertiser, by advertising address (stock Bumble drops it).
        self.scan_responses: dict[hci.Address, bytes] = {}

    def peer_connection(self, connection: Connection) -> Connection | None:
        for controller in self.controllers:
            if controller is connection.controller:
                continue
            peer = controller.le_connections.get(connection.self_address)
            if peer is not None and peer.self_address == connection.peer_address:
                return peer
        return None

    def air_for(self, connection: Connection) -> AirLink | None:
        air = getattr(connection, 'air', None)
        if air is not None:
            return air
        peer = self.peer_connection(connection)
        if peer is None:
            return None
        central, peripheral = (connection, peer) if connection.role == hci.Role.CENTRAL else (peer, connection)
        air = AirLink(self, central, peripheral)
        central.air = air  # type: ignore[attr-defined]
        peripheral.air = air  # type: ignore[attr-defined]
        return air

    def deliver(self, sender: Connection, pdu: bytes) -> None:
        # Routed by the connection's own address: the peer keys this connection by it.
        peer = self.peer_connection(sender)
        if peer is None:
            logger.warning('no peer for the connection %s -> %s: ACL dropped', sender.self_address,
                           sender.peer_address)
            return
        asyncio.get_running_loop().call_soon(peer.controller.on_link_acl_data, sender.self_address, LE, pdu)

    def send_acl_data(self, sender_controller, destination_address, transport, data):
        # Stock LocalLink stamps LE data with the sender's random address, not the connection's.
        if transport != LE:
            return super().send_acl_data(sender_controller, destination_address, transport, data)
        connection = sender_controller.le_connections.get(destination_address)
        if connection is None:
            logger.warning('no connection to %s: ACL dropped', destination_address)
            return None
        self.deliver(connection, data)
        return None


# -----------------------------------------------------------------------------
# The controller
# -----------------------------------------------------------------------------
class Advertiser(LegacyAdvertiser):
    def _on_timer_fired(self) -> None:
        # The HCI advertising interval is in 0.625 ms units (Vol 4 Part E §7.8.5); stock reads ms.
        self.send_advertising_data()
        interval = max(self.advertising_interval_min, 0x20) * 0.625 / 1000
        self.timer_handle = asyncio.get_running_loop().call_later(interval, self._on_timer_fired)


class RadioController(Controller):
    def __init__(self, index: int, transport, link: RadioLink, args: Namespace) -> None:
        super().__init__(
            f'C{index}',
            host_source=transport.source,
            host_sink=transport.sink,
            link=link,
            public_address=public_address(index),
        )
        self.radio = link
        self.settings = link.settings
        self.own_random_address = random_address(index)
        self.random_address = self.own_random_address
        self.le_legacy_advertiser = Advertiser(self)
        self.scanning_legacy = False
        self.le_acl_data_packet_length = args.hci_acl_length
        self.total_num_le_acl_data_packets = args.hci_acl_buffers
        dl = self.settings.data_length
        self.supported_max_tx_octets = self.supported_max_rx_octets = dl
        self.supported_max_tx_time = self.supported_max_rx_time = max(328, math.ceil(pdu_air_us(dl, '1M')))
        self.suggested_max_tx_octets = dl

    # -- events to the host: the radio's connection interval -----------------
    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if not self.settings.instant and isinstance(
            packet,
            (
                hci.HCI_LE_Connection_Complete_Event,
                hci.HCI_LE_Enhanced_Connection_Complete_Event,
                hci.HCI_LE_Connection_Update_Complete_Event,
            ),
        ):
            # The modelled interval is the radio's, whatever the hosts ask for (as a phone's OS
            # often decides it), so hosts see the interval the air model applies.
            packet = dataclasses.replace(packet, connection_interval=round(self.settings.interval_ms / 1.25))
        super().send_hci_packet(packet)

    # -- ACL from the host -----------------------------------------------------
    def on_hci_acl_data_packet(self, packet: hci.HCI_AclDataPacket) -> None:
        connection = self.find_le_connection_by_handle(packet.connection_handle)
        if connection is None or self.settings.instant:
            super().on_hci_acl_data_packet(packet)
            return
        air = self.radio.air_for(connection)
        if air is None:
            logger.warning('[%s] connection 0x%04X has no peer: ACL dropped', self.name, connection.handle)
            self.send_hci_packet(
                hci.HCI_Number_Of_Completed_Packets_Event(
                    connection_handles=[connection.handle], num_completed_packets=[1]
                )
            )
            return
        air.submit(connection, packet)

    def on_le_disconnected(self, connection: Connection, reason: int) -> None:
        air = getattr(connection, 'air', None)
        if air is not None:
            air.close()
        super().on_le_disconnected(connection, reason)

    # -- HCI Reset: a new host starts from a clean controller (Vol 4 Part E §7.3.2) -------
    def on_hci_reset_command(self, command: hci.HCI_Reset_Command) -> hci.HCI_StatusReturnParameters:
        for connection in list(self.le_connections.values()):
            connection.send_ll_control_pdu(ll.TerminateInd(REASON_REMOTE_USER_TERMINATED))
            air = getattr(connection, 'air', None)
            if air is not None:
                air.close()
            del self.le_connections[connection.peer_address]
        self.le_legacy_advertiser.stop()
        self.le_legacy_advertiser = Advertiser(self)
        for advertising_set in self.advertising_sets.values():
            advertising_set.stop()
        self.advertising_sets.clear()
        self.le_scan_enable = False
        self.pending_le_connection = None
        self.random_address = self.own_random_address
        self.suggested_max_tx_octets = self.settings.data_length
        self.radio.scan_responses.pop(self.own_random_address, None)
        self.radio.scan_responses.pop(self.public_address, None)
        return super().on_hci_reset_command(command)

    # -- data length and PHY ----------------------------------------------------
    def on_hci_le_set_data_length_command(
        self, command: hci.HCI_LE_Set_Data_Length_Command
    ) -> hci.HCI_StatusAndConnectionHandleReturnParameters:
        connection = self.find_le_connection_by_handle(command.connection_handle)
        if connection is None:
            status = hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR
        elif not (0x1B <= command.tx_octets <= 0xFB and 0x148 <= command.tx_time <= 0x4290):
            status = hci.HCI_ErrorCode.INVALID_HCI_COMMAND_PARAMETERS_ERROR
        else:
            status = hci.HCI_ErrorCode.SUCCESS
            air = self.radio.air_for(connection)
            if air is not None:
                air.request_data_length(connection, command.tx_octets)
        return hci.HCI_StatusAndConnectionHandleReturnParameters(
            status=status, connection_handle=command.connection_handle
        )

    def modelled_phy(self) -> int:
        return hci.HCI_LE_1M_PHY if self.settings.instant else PHY_CODE[self.settings.phy]

    def on_hci_le_read_phy_command(self, command: hci.HCI_LE_Read_PHY_Command) -> hci.HCI_LE_Read_PHY_ReturnParameters:
        return hci.HCI_LE_Read_PHY_ReturnParameters(
            status=hci.HCI_ErrorCode.SUCCESS,
            connection_handle=command.connection_handle,
            tx_phy=self.modelled_phy(),
            rx_phy=self.modelled_phy(),
        )

    def on_hci_le_set_phy_command(self, command: hci.HCI_LE_Set_PHY_Command) -> None:
        # The PHY is the radio's (--phy): the procedure completes with it, as Vol 4 Part E §7.8.49
        # allows when the preferred PHYs cannot be had.
        if self.find_le_connection_by_handle(command.connection_handle) is None:
            self._send_hci_command_status(hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR, command.op_code)
            return None
        self._send_hci_command_status(hci.HCI_COMMAND_STATUS_PENDING, command.op_code)
        self.send_hci_packet(
            hci.HCI_LE_PHY_Update_Complete_Event(
                status=hci.HCI_ErrorCode.SUCCESS,
                connection_handle=command.connection_handle,
                tx_phy=self.modelled_phy(),
                rx_phy=self.modelled_phy(),
            )
        )
        return None

    # -- scanning: reports carry the scan response data --------------------------
    def on_hci_le_set_scan_enable_command(self, command):
        self.scanning_legacy = True
        return super().on_hci_le_set_scan_enable_command(command)

    def on_hci_le_set_extended_scan_enable_command(self, command):
        self.scanning_legacy = False
        return super().on_hci_le_set_extended_scan_enable_command(command)

    def send_advertising_pdu(self, packet: ll.AdvertisingPdu) -> None:
        if isinstance(packet, ll.AdvInd):
            self.radio.scan_responses[packet.advertiser_address] = bytes(self.le_legacy_advertiser.scan_response_data)
        elif isinstance(packet, ll.AdvExtInd):
            for advertising_set in self.advertising_sets.values():
                if advertising_set.address == packet.advertiser_address:
                    self.radio.scan_responses[packet.advertiser_address] = bytes(advertising_set.scan_response_data)
        super().send_advertising_pdu(packet)

    def on_advertising_pdu(self, pdu: ll.AdvInd | ll.AdvExtInd) -> None:
        if self.le_scan_enable:
            self.report_advertisement(pdu)
        # Bumble's own handling for the rest (periodic sync, a pending connection), without its reports.
        scanning, self.le_scan_enable = self.le_scan_enable, False
        try:
            super().on_advertising_pdu(pdu)
        finally:
            self.le_scan_enable = scanning

    def report_advertisement(self, pdu: ll.AdvInd | ll.AdvExtInd) -> None:
        scan_response = self.radio.scan_responses.get(pdu.advertiser_address, b'')
        address = pdu.advertiser_address
        if self.scanning_legacy:
            kinds = hci.HCI_LE_Advertising_Report_Event.EventType
            for kind, data in ((kinds.ADV_IND, pdu.data), (kinds.SCAN_RSP, scan_response)):
                report = hci.HCI_LE_Advertising_Report_Event.Report(
                    event_type=kind, address_type=address.address_type, address=address, data=data, rssi=-50
                )
                self.send_hci_packet(hci.HCI_LE_Advertising_Report_Event([report]))
            return
        kinds = hci.HCI_LE_Extended_Advertising_Report_Event.EventType
        for kind, data in ((kinds.CONNECTABLE_ADVERTISING, pdu.data), (kinds.SCAN_RESPONSE, scan_response)):
            report = hci.HCI_LE_Extended_Advertising_Report_Event.Report(
                event_type=kind,
                address_type=address.address_type,
                address=address,
                primary_phy=hci.Phy.LE_1M,
                secondary_phy=hci.Phy.LE_1M,
                advertising_sid=0,
                tx_power=0,
                rssi=-50,
                periodic_advertising_interval=0,
                direct_address_type=0,
                direct_address=hci.Address.ANY,
                data=data,
            )
            self.send_hci_packet(hci.HCI_LE_Extended_Advertising_Report_Event([report]))


# -----------------------------------------------------------------------------
# Running it
# -----------------------------------------------------------------------------
def remove_stale_link(path: str) -> None:
    if os.path.islink(path):
        os.unlink(path)  # left by a launcher that was killed: Bumble would fail with FileExistsError
    elif os.path.exists(path):
        raise SystemExit(f'virtual-radio: {path} exists and is not a symlink; refusing to replace it')
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise SystemExit(f'virtual-radio: folder {parent} does not exist (for the PTY link {path})')


async def run(args: Namespace, air: AirSettings) -> int:
    started = time.monotonic()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    settings = RadioSettings(air.interval_ms, air.max_pdus_per_event, air.data_length, air.phy, args.no_air)
    link = RadioLink(settings)
    transports = []
    controllers = []
    try:
        for index, path in enumerate(args.pty):
            remove_stale_link(path)
            transport = await open_transport(f'pty:{path}')
            transports.append(transport)
            controllers.append(RadioController(index, transport, link, args))
        ready = {
            'ready': True,
            'pid': os.getpid(),
            'startup_ms': round((time.monotonic() - started) * 1000, 1),
            'controllers': [
                {
                    'pty': path,
                    'public_address': c.public_address.to_string(False),
                    'random_address': c.random_address.to_string(False),
                }
                for path, c in zip(args.pty, controllers)
            ],
            'air': None
            if args.no_air
            else {
                'interval_ms': air.interval_ms,
                'max_pdus_per_event': air.max_pdus_per_event,
                'data_length': air.data_length,
                'phy': air.phy,
                'ceilings': [link_ceiling(air, mtu) for mtu in (args.att_mtu or [247, 517])],
            },
        }
        print(json.dumps(ready), flush=True)
        await stop.wait()
    finally:
        for transport in transports:
            await transport.close()
    return 0
