/**
 * A drawing of the virtual board: its PCB, the SoC and LED0, lit while the firmware drives it on.
 * Colours follow the real boards (ST's green DISCO, Nordic's blue DK, Espressif's black DevKitC).
 */
const PCB_COLOURS: ReadonlyArray<[prefix: string, colour: string]> = [
  ['stm32', '#1f6b3a'],
  ['nrf', '#1d4f91'],
  ['esp32', '#1c1c1c'],
];

function pcbColour(board: string): string {
  return PCB_COLOURS.find(([prefix]) => board.startsWith(prefix))?.[1] ?? '#2f4f4f';
}

export function BoardPicture(props: { board: string; ledOn: boolean; powered: boolean }) {
  const { board, ledOn, powered } = props;
  return (
    <svg
      class="board-picture"
      viewBox="0 0 320 180"
      role="img"
      aria-label={`${board}: LED0 ${ledOn ? 'on' : 'off'}${powered ? '' : ', no power'}`}
      data-testid="board-picture"
      data-led0={ledOn ? 'on' : 'off'}
    >
      <rect
        x="4"
        y="4"
        width="312"
        height="172"
        rx="12"
        fill={pcbColour(board)}
        stroke="#0b0b0b"
        stroke-width="2"
      />
      {[18, 302].flatMap((x) =>
        [18, 162].map((y) => <circle key={`${x}-${y}`} cx={x} cy={y} r="6" fill="#d9d9d9" stroke="#888" />),
      )}
      <rect x="120" y="50" width="80" height="80" rx="4" fill="#222" stroke="#555" />
      <text x="160" y="94" text-anchor="middle" fill="#ccc" font-size="11" font-family="monospace">
        SoC
      </text>
      <rect x="4" y="70" width="26" height="40" rx="3" fill="#b8b8b8" stroke="#777" />
      <text x="160" y="160" text-anchor="middle" fill="#f2f2f2" font-size="14" font-family="sans-serif">
        {board}
      </text>
      <g transform="translate(262 56)">
        <circle r="18" fill={ledOn ? 'rgba(74, 222, 128, 0.35)' : 'transparent'} />
        <circle
          r="9"
          fill={ledOn ? '#4ade80' : '#14532d'}
          stroke="#0b0b0b"
          stroke-width="1.5"
          data-testid="led0"
        />
        <text y="32" text-anchor="middle" fill="#f2f2f2" font-size="11" font-family="sans-serif">
          LED0
        </text>
      </g>
      <circle cx="40" cy="30" r="5" fill={powered ? '#f87171' : '#3f1d1d'} />
      <text x="52" y="34" fill="#f2f2f2" font-size="10" font-family="sans-serif">
        PWR
      </text>
    </svg>
  );
}
