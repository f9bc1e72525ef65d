/**
 * Console: the text the device prints between SMP frames (MCUboot's lines, the kernel banner, the
 * app's log). Kept by the app from the moment of connecting (model/console-buffer.ts), so opening
 * the view late loses nothing recent.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ViewSection } from '../components/section.tsx';

export function ConsolePane(props: { text: string; onClear: () => void; testId: string; label: string }) {
  const box = useRef<HTMLTextAreaElement>(null);
  const [follow, setFollow] = useState(true);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [props.text, follow]);
  return (
    <div class="console-pane">
      {/* A read-only text area: focusable, scrollable and selectable from the keyboard. */}
      <textarea
        class="console"
        ref={box}
        readOnly
        data-testid={props.testId}
        aria-label={props.label}
        spellcheck={false}
        value={props.text}
        placeholder="(nothing printed yet)"
        onScroll={(e) => {
          const el = e.currentTarget;
          setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 24);
        }}
      />
      <div class="toolbar">
        <button type="button" data-testid={`${props.testId}-clear`} onClick={props.onClear}>
          Clear
        </button>
        {!follow ? (
          <button type="button" onClick={() => setFollow(true)}>
            Follow new text
          </button>
        ) : null}
      </div>
    </div>
  );
}

export function ConsoleView(props: { text: string; onClear: () => void; serialLike: boolean }) {
  return (
    <ViewSection id="console" title="Console">
      {!props.serialLike ? (
        <p class="hint">
          This link carries SMP only (Bluetooth, UDP): the device's console is not on it. Zephyr prints it on
          the board's UART: connect over serial to see it.
        </p>
      ) : null}
      <ConsolePane text={props.text} onClear={props.onClear} testId="console" label="Device console" />
    </ViewSection>
  );
}
