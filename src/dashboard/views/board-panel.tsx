/**
 * The virtual board's panel: the board with LED0 blinking as the firmware drives it and the rate
 * measured from its own timestamps, what MCUboot booted, the console, and the power switch (cut,
 * on) and a factory reset (erase flash).
 */
import { useEffect, useState } from 'preact/hooks';
import type {
  VirtualBoardBoot,
  VirtualBoardHandle,
  VirtualBoardState,
} from '../../device/web/virtual-board.ts';
import { Problem } from '../components/problem.tsx';
import { useTask } from '../components/use-task.ts';
import { BoardPicture } from './board-picture.tsx';
import { ConsolePane } from './console-view.tsx';

/** The LED rate is measured over this window: a few periods of the slowest blinky (1 Hz). */
const RATE_WINDOW_MS = 4_000;

const STATE_WORDS: Readonly<Record<VirtualBoardState, string>> = {
  off: 'no power',
  booting: 'booting (MCUboot runs)',
  running: 'running',
  halted: 'halted',
  closed: 'closed',
};

function bootWords(boot: VirtualBoardBoot | undefined): string {
  if (!boot) return 'not booted yet';
  if (!boot.booted) return `nothing booted: ${boot.reason ?? 'MCUboot found no image'}`;
  const swap =
    boot.swapType !== 'none' ? ` after a ${boot.swapType} swap (${boot.flashOps} flash operations)` : '';
  return `MCUboot booted version ${boot.version ?? '?'}${swap}`;
}

export function BoardPanel(props: {
  board: VirtualBoardHandle;
  console: string;
  onClearConsole: () => void;
}) {
  const { board } = props;
  const [state, setState] = useState<VirtualBoardState>(board.state);
  const [ledOn, setLedOn] = useState(board.led());
  const [rate, setRate] = useState(0);
  const [boot, setBoot] = useState<VirtualBoardBoot | undefined>(board.lastBoot);
  const power = useTask<unknown>();
  const [asking, setAsking] = useState(false);

  useEffect(() => {
    const offs = [
      board.onState(setState),
      board.onLed((event) => {
        if (event.name === 'led0') setLedOn(event.on);
      }),
      board.onBoot(setBoot),
    ];
    const timer = setInterval(() => setRate(board.ledRateHz(RATE_WINDOW_MS)), 500);
    return () => {
      for (const off of offs) off();
      clearInterval(timer);
    };
  }, [board]);

  const powered = state !== 'off' && state !== 'closed';
  return (
    <section class="board-panel" aria-labelledby="board-title" data-testid="board-panel">
      <h2 id="board-title">Virtual board</h2>
      <BoardPicture board={board.board} ledOn={powered && ledOn} powered={powered} />
      <dl class="facts compact">
        <div class="fact">
          <dt>State</dt>
          <dd data-testid="board-state" data-state={state}>
            {STATE_WORDS[state]}
          </dd>
        </div>
        <div class="fact">
          <dt>LED0</dt>
          <dd data-testid="board-led-rate">
            {state === 'running' && rate > 0 ? `blinks at ${rate.toFixed(1)} Hz` : 'not blinking'}
          </dd>
        </div>
        <div class="fact">
          <dt>Last boot</dt>
          <dd data-testid="board-boot">{bootWords(boot)}</dd>
        </div>
      </dl>
      <div class="toolbar">
        <button
          type="button"
          class="danger"
          data-testid="board-power-cut"
          disabled={!powered || power.busy}
          onClick={() => power.run(() => board.powerCut())}
        >
          Cut the power
        </button>
        <button
          type="button"
          data-testid="board-power-on"
          disabled={powered || state === 'closed' || power.busy}
          onClick={() => power.run(() => board.powerOn())}
        >
          Power on
        </button>
        {asking ? (
          <span class="confirm">
            <span>Erase the whole flash and write Binary One again?</span>
            <button
              type="button"
              class="danger"
              data-testid="board-erase-confirm"
              onClick={() => {
                setAsking(false);
                void power.run(() => board.eraseFlash());
              }}
            >
              Erase
            </button>
            <button type="button" data-testid="board-erase-keep" onClick={() => setAsking(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button
            type="button"
            data-testid="board-erase"
            disabled={state === 'closed' || power.busy}
            onClick={() => setAsking(true)}
          >
            Erase flash…
          </button>
        )}
      </div>
      <Problem text={power.error} testId="board-problem" />
      <h3>Board console</h3>
      <ConsolePane
        text={props.console}
        onClear={props.onClearConsole}
        testId="board-console"
        label="Virtual board console"
      />
    </section>
  );
}
