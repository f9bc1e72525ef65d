/**
 * Device facts: what `zdfu os info`, `zdfu params`, `zdfu bootloader` (and `datetime`) print, as a
 * list. Each fact is asked on its own, so a device that lacks one command still shows the rest.
 */
import { useEffect } from 'preact/hooks';
import {
  bootloaderInformation,
  dateTimeRead,
  MCUBOOT_MODE_NAMES,
  osInfoText,
} from '../../groups/os/client.ts';
import { SmpError } from '../../smp/errors.ts';
import { Problem } from '../components/problem.tsx';
import { ViewSection } from '../components/section.tsx';
import { useTask } from '../components/use-task.ts';
import type { Connection } from '../connect/connection.ts';
import { isNotSupported, problemText } from '../model/problem.ts';

interface Fact {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  /** True when the value is the device's refusal or a failure rather than an answer. */
  readonly missing?: boolean;
}

async function ask(id: string, label: string, question: () => Promise<string>): Promise<Fact> {
  try {
    return { id, label, value: await question() };
  } catch (error) {
    return { id, label, value: refusalText(error), missing: true };
  }
}

/** Why a fact is missing: the usual refusals in short words, anything else in full. */
function refusalText(error: unknown): string {
  if (isNotSupported(error)) return 'not served by this device (MGMT_ERR_ENOTSUP)';
  if (error instanceof SmpError && error.codeName === 'RTC_NOT_SET')
    return 'not set on the device (RTC_NOT_SET)';
  return problemText(error);
}

/** Asked one after another: a serial link carries one answer at a time anyway. */
export async function readFacts(connection: Connection): Promise<Fact[]> {
  const { device } = connection;
  const smp = device.smp;
  const facts: Fact[] = [];
  facts.push(await ask('os', 'Operating system (os info)', () => osInfoText(smp)));
  facts.push(await ask('os-all', 'All of os info (uname -a)', () => osInfoText(smp, 'a')));
  facts.push(
    await ask('params', 'SMP buffers (params)', async () => {
      const p = await device.params();
      return `${p.buf_count} buffers of ${p.buf_size} bytes`;
    }),
  );
  facts.push(
    await ask(
      'bootloader',
      'Bootloader',
      async () => (await bootloaderInformation(smp)).bootloader ?? 'not named',
    ),
  );
  facts.push(
    await ask('mode', 'Bootloader mode', async () => {
      const info = await bootloaderInformation(smp, 'mode');
      if (info.mode === undefined) return 'not reported';
      const name = MCUBOOT_MODE_NAMES[info.mode] ?? 'unknown';
      const downgrade = info.noDowngrade ? '; refuses downgrades' : '';
      return `${name} (mode ${info.mode})${downgrade}`;
    }),
  );
  facts.push(await ask('datetime', 'Clock (datetime)', () => dateTimeRead(smp)));
  return facts;
}

export function FactsView({ connection }: { connection: Connection }) {
  const facts = useTask<Fact[]>();
  const load = () => facts.run(() => readFacts(connection));
  useEffect(() => {
    void load();
  }, [connection]);
  return (
    <ViewSection
      id="device"
      title="Device facts"
      actions={
        <button type="button" data-testid="facts-refresh" disabled={facts.busy} onClick={load}>
          {facts.busy ? 'Reading…' : 'Refresh'}
        </button>
      }
    >
      <Problem text={facts.error} />
      {facts.result ? (
        <dl class="facts" data-testid="facts" aria-busy={facts.busy}>
          {facts.result.map((fact) => (
            <div key={fact.id} class={fact.missing ? 'fact missing' : 'fact'} data-testid={`fact-${fact.id}`}>
              <dt>{fact.label}</dt>
              <dd>{fact.value}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p class="hint">Reading the device…</p>
      )}
    </ViewSection>
  );
}
