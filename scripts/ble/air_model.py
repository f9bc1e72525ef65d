"""Air model of an LE connection: air time of LL PDUs, connection events, and the link's ceiling.

Pure arithmetic (no Bumble), shared by the launcher's scheduler (radio_controllers.AirLink) and by
`virtual-radio.py --print-ceiling`, so that a benchmark compares against the very rules the radio
applies.
"""

from __future__ import annotations

import dataclasses
import math

# -----------------------------------------------------------------------------
# Air model: first principles (Bluetooth Core 5.x, Vol 6 Part B §2.1 and §4.5; Part A §3)
# -----------------------------------------------------------------------------
# An LE data channel PDU on the air (no encryption, so no MIC):
#   preamble (1 octet on LE 1M, 2 on LE 2M) + access address 4 + header 2 + payload n + CRC 3
# sent at 1 or 2 Mbit/s:
#   t(n) = (P + 9 + n) * 8 / R  µs      1M: (10 + n) * 8     2M: (11 + n) * 4
#   e.g. 1M: t(27) = 296 µs, t(251) = 2088 µs, t(0) = 80 µs;  2M: t(251) = 1048 µs, t(0) = 44 µs
# In a connection event the central and the peripheral alternate, T_IFS = 150 µs apart; one
# exchange carries at most one PDU each way (an empty PDU when a side has nothing to send):
#   X(a, b) = t(a) + T_IFS + t(b) + T_IFS
# Events start every connection interval T. An event carries exchanges while either side has data,
# at most N_max of them (--max-pdus-per-event; 0 = no limit), and only exchanges that end before the
# next event's anchor point.
# An ATT write command or notification with ATT MTU M carries M - 3 octets of value; with the ATT
# header (3) and the L2CAP header (4) it is an L2CAP PDU of M + 4 octets, sent as
# k = ceil((M + 4) / D) LL PDUs (D = the data length the link negotiated): k - 1 of D octets and
# one of r = M + 4 - (k - 1) * D.
#
# Ceiling of one-way bulk transfer (octets of ATT value per second, the other side silent):
#   when every LL PDU has the same size s (k = 1, s = M + 4; or r = D, s = D):
#       E = min(N_max, floor(T / X(s, 0)))                  exchanges per event
#       ceiling = E * s / (M + 4) * (M - 3) / T
#     e.g. T = 7.5 ms, 2M, D = 251, M = 247 (s = 251): X = 1392 µs, E = 5, ceiling = 162.7 kB/s;
#          T = 30 ms, 1M, D = 27, M = 23 (s = 27): X = 676 µs, E = 44, ceiling = 29.3 kB/s
#   in general (short last fragments take less air) the same event packing is replayed over the
#   fragment pattern, whose state at each event start (the fragment index 0..k-1) repeats within k
#   events: ceiling = (ATT PDUs completed per cycle) * (M - 3) / (events per cycle * T).
#   link_ceiling() below is that computation, and AirLink schedules by the very same rules.
# Nothing else costs air time here (no retransmissions, no interference, no slave latency):
# the ceiling is what a perfect client achieves on this link.

T_IFS_US = 150
PHY_RATE = {'1M': 1, '2M': 2}  # Mbit/s
PHY_PREAMBLE = {'1M': 1, '2M': 2}  # octets
LL_DEFAULT_DATA_LENGTH = 27  # Vol 6 Part B §4.5.10: every link starts at 27 octets


def pdu_air_us(payload: int, phy: str) -> float:
    """Air time of one LE data channel PDU with `payload` octets (no MIC)."""
    return (PHY_PREAMBLE[phy] + 4 + 2 + payload + 3) * 8 / PHY_RATE[phy]


def exchange_us(central_payload: int | None, peripheral_payload: int | None, phy: str) -> float:
    """One central→peripheral PDU and the peripheral's answer; None = empty PDU."""
    return (
        pdu_air_us(central_payload or 0, phy) + T_IFS_US + pdu_air_us(peripheral_payload or 0, phy) + T_IFS_US
    )


@dataclasses.dataclass(frozen=True)
class AirSettings:
    interval_ms: float
    max_pdus_per_event: int  # 0 = as many as fit in the interval
    data_length: int  # the controllers' largest LL payload (27..251)
    phy: str  # '1M' or '2M'

    def fits(self, exchanges_done: int, used_us: float, next_us: float) -> bool:
        """Whether one more exchange of next_us may start in this event."""
        if self.max_pdus_per_event and exchanges_done >= self.max_pdus_per_event:
            return False
        # The first exchange always happens (an event has at least one); later ones must end
        # before the next anchor point.
        return exchanges_done == 0 or used_us + next_us <= self.interval_ms * 1000


def link_ceiling(settings: AirSettings, att_mtu: int, data_length: int | None = None) -> dict:
    """Ceiling of one-way bulk ATT transfer on the modelled link (see the formula above)."""
    d = data_length or settings.data_length
    l2cap = att_mtu + 4
    k = math.ceil(l2cap / d)
    fragments = [d] * (k - 1) + [l2cap - (k - 1) * d]
    start = 0
    seen: dict[int, int] = {}
    completed: list[int] = []  # ATT PDUs completed in each event
    while start not in seen:
        seen[start] = len(completed)
        i, used, n, done = start, 0.0, 0, 0
        while True:
            x = exchange_us(fragments[i], None, settings.phy)
            if not settings.fits(n, used, x):
                break
            used += x
            n += 1
            if i == k - 1:
                done += 1
            i = (i + 1) % k
        completed.append(done)
        start = i
    cycle = completed[seen[start] :]
    interval_s = settings.interval_ms / 1000
    att_per_s = sum(cycle) / (len(cycle) * interval_s)
    return {
        'att_mtu': att_mtu,
        'data_length': d,
        'll_pdus_per_att_pdu': k,
        'att_pdus_per_event': sum(cycle) / len(cycle),
        'ceiling_bytes_per_s': att_per_s * (att_mtu - 3),
    }
