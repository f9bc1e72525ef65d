/**
 * Update: the whole `zdfu dfu` flow (src/client/dfu.ts runDfu) on the picked image, with the
 * upload's progress, speed and time left, each step in words, and a failure in words.
 */
import { useRef, useState } from 'preact/hooks';
import { type DfuMode, type DfuResult, runDfu } from '../../client/dfu.ts';
import { Problem } from '../components/problem.tsx';
import { TransferProgress } from '../components/transfer-progress.tsx';
import { useTask } from '../components/use-task.ts';
import { useTransferProgress } from '../components/use-transfer.ts';
import type { Connection } from '../connect/connection.ts';
import { DFU_MODES, describeDfuStep, type StepLine } from '../model/dfu-steps.ts';

export function UpdatePanel(props: { connection: Connection; image: Uint8Array; version: string }) {
  const [mode, setMode] = useState<DfuMode>('test-and-confirm');
  const [steps, setSteps] = useState<Array<StepLine & { id: number }>>([]);
  const nextId = useRef(0);
  const addStep = (line: StepLine) => setSteps((s) => [...s, { ...line, id: nextId.current++ }]);
  const [uploading, setUploading] = useState(false);
  const transfer = useTransferProgress();
  const run = useTask<DfuResult>();
  const abort = useRef<AbortController | undefined>(undefined);

  const start = async () => {
    const controller = new AbortController();
    abort.current = controller;
    setSteps([]);
    addStep({ text: `Uploading version ${props.version}…`, tone: 'info' });
    transfer.reset();
    setUploading(true);
    await run.run(() =>
      runDfu(props.connection.device, props.image, {
        mode,
        upload: {
          signal: controller.signal,
          onProgress: transfer.onProgress,
          onNotice: (text) => addStep({ text, tone: 'warn' }),
        },
        onStep: (step) => {
          if (
            step.kind === 'uploaded' ||
            step.kind === 'already-uploaded' ||
            step.kind === 'already-running'
          ) {
            setUploading(false);
          }
          addStep(describeDfuStep(step));
        },
      }),
    );
    setUploading(false);
    abort.current = undefined;
  };

  const result = run.result;
  return (
    <div class="update" data-testid="update-panel">
      <fieldset disabled={run.busy}>
        <legend>How to install it</legend>
        {DFU_MODES.map((m) => (
          <label key={m.mode} class="radio">
            <input
              type="radio"
              name="dfu-mode"
              value={m.mode}
              data-testid={`dfu-mode-${m.mode}`}
              checked={mode === m.mode}
              onChange={() => setMode(m.mode)}
            />
            <span>
              <strong>{m.label}</strong> — {m.help}
            </span>
          </label>
        ))}
      </fieldset>
      <div class="toolbar">
        <button type="button" class="primary" data-testid="update-button" disabled={run.busy} onClick={start}>
          {run.busy ? 'Updating…' : `Update to ${props.version.replace(/\+0$/, '')}`}
        </button>
        {run.busy && uploading ? (
          <button type="button" data-testid="update-cancel" onClick={() => abort.current?.abort()}>
            Cancel upload
          </button>
        ) : null}
      </div>
      {transfer.progress ? <TransferProgress progress={transfer.progress} label="Upload" /> : null}
      {steps.length > 0 ? (
        <ol class="steps" data-testid="update-steps" aria-live="polite">
          {steps.map((step) => (
            <li key={step.id} class={`step ${step.tone}`}>
              {step.text}
            </li>
          ))}
        </ol>
      ) : null}
      <Problem text={run.error} testId="update-problem" />
      {result && !run.busy ? (
        <p class="outcome good" role="status" data-testid="update-done">
          {result.running
            ? `Done: version ${result.version} runs${mode === 'test-only' ? ' on trial (not confirmed)' : ' and is confirmed'}.`
            : `Version ${result.version} is installed.`}
        </p>
      ) : null}
    </div>
  );
}
