/**
 * Slots: `image list` as a table, `image explain` in sentences (src/client/explain.ts), and the
 * state commands: test, confirm, erase, and reset.
 */
import { useEffect, useState } from 'preact/hooks';
import { explainAllImages, imageFlags } from '../../client/explain.ts';
import type { ImageSlotState, ImageStateResponse } from '../../groups/image/models.ts';
import { Problem, Status } from '../components/problem.tsx';
import { ViewSection } from '../components/section.tsx';
import { useTask } from '../components/use-task.ts';
import type { Connection } from '../connect/connection.ts';
import { shortHash, toHex } from '../model/format.ts';
import { absoluteSlot, SLOT_ACTION_LABELS, type SlotAction, slotActions } from '../model/slot-actions.ts';

interface SlotsState {
  readonly list: ImageStateResponse;
  readonly mode: number | undefined;
}

export function SlotsView({ connection }: { connection: Connection }) {
  const { device } = connection;
  const slots = useTask<SlotsState>();
  const action = useTask<string>();
  const [done, setDone] = useState<string>();
  const load = () =>
    slots.run(async () => {
      const list = await device.imageList();
      const mode = await device.bootloaderMode();
      return { list, mode };
    });
  useEffect(() => {
    void load();
  }, [connection]);

  const act = async (what: string, command: () => Promise<unknown>) => {
    setDone(undefined);
    const ok = await action.run(async () => {
      await command();
      return what;
    });
    if (ok !== undefined) setDone(ok);
    await load();
  };
  const onSlot = (slot: ImageSlotState, kind: SlotAction) => {
    const name = `slot ${slot.slot}${slot.image ? ` of image ${slot.image}` : ''}`;
    if (kind === 'test') {
      return act(`Marked version ${slot.version} for a test boot: reset to try it.`, () =>
        device.imageTest(slot.hash),
      );
    }
    if (kind === 'confirm') {
      // Confirming the running image takes no hash (Zephyr confirms the active slot then).
      return act(`Confirmed version ${slot.version}.`, () =>
        slot.active ? device.imageConfirm() : device.imageConfirm(slot.hash),
      );
    }
    return act(`Erased ${name}.`, () => device.imageErase(absoluteSlot(slot)));
  };
  const reset = () => act('Reset sent: the device reboots (MCUboot runs first).', () => device.reset());

  const busy = slots.busy || action.busy;
  const state = slots.result;
  return (
    <ViewSection
      id="slots"
      title="Image slots"
      actions={
        <>
          <button type="button" data-testid="slots-refresh" disabled={busy} onClick={load}>
            {slots.busy ? 'Reading…' : 'Refresh'}
          </button>
          <button type="button" data-testid="slots-reset" disabled={busy} onClick={reset}>
            Reset device
          </button>
        </>
      }
    >
      <Problem text={slots.error ?? action.error} />
      <Status text={action.busy ? 'Working…' : done} testId="slots-status" />
      {state ? (
        <SlotsBody state={state} busy={busy} onSlot={onSlot} />
      ) : (
        <p class="hint">Reading the slots…</p>
      )}
    </ViewSection>
  );
}

function SlotsBody(props: {
  state: SlotsState;
  busy: boolean;
  onSlot: (slot: ImageSlotState, action: SlotAction) => void;
}) {
  const explanations = explainAllImages(props.state.list, props.state.mode);
  return (
    <>
      <div class="table-wrap">
        <table class="slots" data-testid="slots-table">
          <caption>Slots as the device lists them (image list)</caption>
          <thead>
            <tr>
              <th scope="col">Image</th>
              <th scope="col">Slot</th>
              <th scope="col">Version</th>
              <th scope="col">Flags</th>
              <th scope="col">Hash</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {props.state.list.images.map((slot) => (
              <tr
                key={`${slot.image ?? 0}-${slot.slot}`}
                data-testid={`slot-${slot.image ?? 0}-${slot.slot}`}
              >
                <td data-label="Image">{slot.image ?? 0}</td>
                <td data-label="Slot">{slot.slot}</td>
                <td data-label="Version" data-testid="slot-version">
                  {slot.version}
                </td>
                <td data-label="Flags" data-testid="slot-flags">
                  {imageFlags(slot) || (slot.bootable ? 'bootable' : '—')}
                </td>
                <td data-label="Hash">
                  <code title={toHex(slot.hash)}>{shortHash(slot.hash, 6)}</code>
                </td>
                <td>
                  <div class="actions">
                    {slotActions(slot).map((action) => (
                      <button
                        key={action}
                        type="button"
                        data-testid={`slot-${action}`}
                        disabled={props.busy}
                        aria-label={`${SLOT_ACTION_LABELS[action]} slot ${slot.slot} (version ${slot.version})`}
                        onClick={() => props.onSlot(slot, action)}
                      >
                        {SLOT_ACTION_LABELS[action]}
                      </button>
                    ))}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="explain" data-testid="explain">
        <p>
          <strong>Bootloader:</strong> MCUboot, {explanations[0]?.modeName}
        </p>
        {explanations.map((e) => (
          <div key={e.image}>
            {explanations.length > 1 ? <h3>Image {e.image}</h3> : null}
            <ul>
              {e.slots.map((sentence) => (
                <li key={sentence}>{sentence}</li>
              ))}
            </ul>
            <p data-testid="next-reset">
              <strong>Next reset:</strong> {e.nextReset}
            </p>
            {e.notes.map((note) => (
              <p key={note} class="hint">
                {note}
              </p>
            ))}
          </div>
        ))}
      </div>
    </>
  );
}
