/** A failure in words, announced to screen readers as it appears. */
export function Problem({ text, testId }: { text: string | undefined; testId?: string }) {
  if (!text) return null;
  return (
    <p class="problem" role="alert" data-testid={testId ?? 'problem'}>
      {text}
    </p>
  );
}

/** A short status line (progress, "Saved."), read out politely. */
export function Status({ text, testId }: { text: string | undefined; testId?: string }) {
  return (
    <p class="status" role="status" aria-live="polite" data-testid={testId ?? 'status'}>
      {text ?? ''}
    </p>
  );
}
