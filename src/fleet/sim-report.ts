/**
 * What `zdfu sim --count N` prints: one short line per board event and a summary of where the
 * fleet stands (versions, outcomes, each failed board's reason in words). Pure: no Node imports.
 */
import type { FleetEvent, FleetSummary } from './sim-fleet.ts';

/** Events every poll makes: left out of the event lines (the summary counts what matters). */
const ROUTINE = new Set<FleetEvent['kind']>(['poll', 'no-update']);

/** Failed boards named one by one in a summary; the rest are counted. */
const FAILURES_LISTED = 20;

export function isRoutineEvent(event: FleetEvent): boolean {
  return ROUTINE.has(event.kind);
}

/** `#0012 stm32f4_disco-7a6400000000000c [power-cut-swap] installed (action 7): …` */
export function eventLine(event: FleetEvent, width = 4): string {
  const { board } = event;
  const fault = board.fault ? ` [${board.fault}]` : '';
  const action = event.actionId === undefined ? '' : ` (action ${event.actionId})`;
  return `#${String(board.index).padStart(width, '0')} ${board.controllerId}${fault} ${event.kind}${action}: ${event.message}`;
}

export function summaryLines(summary: FleetSummary): string[] {
  const list = (record: Readonly<Record<string, number | undefined>>) =>
    Object.entries(record)
      .filter(([, n]) => (n ?? 0) > 0)
      .map(([key, n]) => `${key} ${n}`)
      .join(', ') || 'none';
  const lines = [
    `${summary.count} boards; running: ${list(summary.versions)}`,
    `last action: ${summary.outcomes.success} success, ${summary.outcomes.failure} failure, ${summary.outcomes.cancelled} cancelled, ${summary.outcomes.none} none`,
    `faults: ${list(summary.faults)}`,
  ];
  for (const failure of summary.failures.slice(0, FAILURES_LISTED)) {
    lines.push(
      `  failed ${failure.controllerId}${failure.fault ? ` [${failure.fault}]` : ''}: ${failure.message}`,
    );
  }
  if (summary.failures.length > FAILURES_LISTED) {
    lines.push(`  … and ${summary.failures.length - FAILURES_LISTED} more failed boards`);
  }
  return lines;
}
