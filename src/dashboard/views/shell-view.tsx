/** Shell: runs a command line in the device's shell (`zdfu shell exec`) and shows what it printed. */
import { useState } from 'preact/hooks';
import type { ShellResult } from '../../client/device.ts';
import { SmpGroup } from '../../smp/group-ids.ts';
import { Problem } from '../components/problem.tsx';
import { ViewSection } from '../components/section.tsx';
import { useTask } from '../components/use-task.ts';
import type { Connection } from '../connect/connection.ts';
import { splitCommandLine } from '../model/command-line.ts';
import { isNotSupported } from '../model/problem.ts';

interface Ran {
  readonly line: string;
  readonly result: ShellResult;
}

/** The last runs shown; older ones drop off. */
const HISTORY = 20;

export function ShellView(props: { connection: Connection; onRefused: (group: number) => void }) {
  const [line, setLine] = useState('led rate');
  const [runs, setRuns] = useState<Ran[]>([]);
  const task = useTask<ShellResult>((error) => {
    if (isNotSupported(error)) props.onRefused(SmpGroup.Shell);
  });
  const run = async () => {
    const text = line.trim();
    const result = await task.run(() => props.connection.device.shellExec(splitCommandLine(text)));
    if (result) setRuns((r) => [{ line: text, result }, ...r].slice(0, HISTORY));
  };
  return (
    <ViewSection id="shell" title="Shell">
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label for="shell-line">Command line</label>
        <input
          id="shell-line"
          class="grow mono"
          data-testid="shell-line"
          type="text"
          value={line}
          spellcheck={false}
          autoComplete="off"
          onInput={(e) => setLine(e.currentTarget.value)}
        />
        <button
          type="submit"
          class="primary"
          data-testid="shell-run"
          disabled={task.busy || line.trim() === ''}
        >
          {task.busy ? 'Running…' : 'Run'}
        </button>
      </form>
      <Problem text={task.error} testId="shell-problem" />
      {runs.map((ran, i) => (
        <div class="shell-run" key={`${runs.length - i}`} data-testid={i === 0 ? 'shell-last' : undefined}>
          <p class="mono">
            $ {ran.line} <span class={ran.result.ret === 0 ? 'ret good' : 'ret bad'}>→ {ran.result.ret}</span>
          </p>
          <pre class="console" data-testid={i === 0 ? 'shell-output' : undefined}>
            {ran.result.output.replace(/\r\n/g, '\n').replace(/^\n+|\n+$/g, '') || '(no output)'}
          </pre>
        </div>
      ))}
    </ViewSection>
  );
}
