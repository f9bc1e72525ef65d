/**
 * Settings: read, write and delete a setting by name and save them all (`zdfu settings`), with
 * the value as text, hex or a little-endian integer (src/groups/settings/value-format.ts).
 */
import { useState } from 'preact/hooks';
import { deleteSetting, readSetting, saveSettings, writeSetting } from '../../groups/settings/client.ts';
import {
  formatValue,
  parseValue,
  VALUE_FORMATS,
  type ValueFormat,
} from '../../groups/settings/value-format.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { Problem, Status } from '../components/problem.tsx';
import { ViewSection } from '../components/section.tsx';
import { useTask } from '../components/use-task.ts';
import type { Connection } from '../connect/connection.ts';
import { byteCount, toHex } from '../model/format.ts';
import { isNotSupported } from '../model/problem.ts';

export function SettingsView(props: { connection: Connection; onRefused: (group: number) => void }) {
  const smp = props.connection.device.smp;
  const [name, setName] = useState('blinky/rate');
  const [value, setValue] = useState('');
  const [format, setFormat] = useState<ValueFormat>('auto');
  const [said, setSaid] = useState<string>();
  const task = useTask<string>((error) => {
    if (isNotSupported(error)) props.onRefused(SmpGroup.Settings);
  });
  const go = async (action: () => Promise<string>) => {
    setSaid(undefined);
    const text = await task.run(action);
    if (text !== undefined) setSaid(text);
  };
  const key = name.trim();
  const read = () =>
    go(async () => {
      const read = await readSetting(smp, key);
      const shown = formatValue(read.value, format);
      setValue(shown);
      const capped =
        read.deviceMaxSize !== undefined ? ` (the device caps reads at ${read.deviceMaxSize} bytes)` : '';
      return `${key} = ${shown} (${byteCount(read.value.length)}: ${toHex(read.value) || 'empty'})${capped}`;
    });
  const write = () =>
    go(async () => {
      const bytes = parseValue(value, format);
      await writeSetting(smp, key, bytes);
      return `Wrote ${byteCount(bytes.length)} to ${key}. Save to keep it across a reset.`;
    });
  const remove = () =>
    go(async () => {
      await deleteSetting(smp, key);
      return `Deleted the stored ${key}; the running app keeps its copy until a reset.`;
    });
  const save = () =>
    go(async () => {
      await saveSettings(smp);
      return 'Saved: the settings are in flash.';
    });
  const disabled = task.busy || key === '';
  return (
    <ViewSection id="settings" title="Settings">
      <div class="form-grid">
        <label for="settings-name">Name</label>
        <input
          id="settings-name"
          class="mono"
          data-testid="settings-name"
          type="text"
          value={name}
          spellcheck={false}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label for="settings-value">Value</label>
        <input
          id="settings-value"
          class="mono"
          data-testid="settings-value"
          type="text"
          value={value}
          spellcheck={false}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <label for="settings-format">Value as</label>
        <select
          id="settings-format"
          data-testid="settings-format"
          value={format}
          onChange={(e) => setFormat(e.currentTarget.value as ValueFormat)}
        >
          {VALUE_FORMATS.map((f) => (
            <option key={f} value={f}>
              {f === 'auto' ? 'auto (text or hex)' : f}
            </option>
          ))}
        </select>
      </div>
      <div class="toolbar">
        <button type="button" data-testid="settings-read" disabled={disabled} onClick={read}>
          Read
        </button>
        <button type="button" data-testid="settings-write" disabled={disabled} onClick={write}>
          Write
        </button>
        <button type="button" data-testid="settings-delete" disabled={disabled} onClick={remove}>
          Delete
        </button>
        <button type="button" data-testid="settings-save" disabled={task.busy} onClick={save}>
          Save all
        </button>
      </div>
      <Problem text={task.error} testId="settings-problem" />
      <Status text={task.busy ? 'Working…' : said} testId="settings-result" />
    </ViewSection>
  );
}
