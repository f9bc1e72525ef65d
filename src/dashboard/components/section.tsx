/** A view's frame: its heading (the focus target when the view opens) and an optional toolbar. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** Set once the user opened a view: the first view of a fresh page leaves focus where it is. */
let viewChosen = false;

/** Called when the user opens a view (a tab, or connecting), so the new view's heading takes focus. */
export function noteViewChosen(): void {
  viewChosen = true;
}

export function ViewSection(props: {
  id: string;
  title: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Moving focus to the new view's heading tells keyboard and screen-reader users where they are.
    if (viewChosen) heading.current?.focus({ preventScroll: true });
  }, [props.id]);
  return (
    <section class="view" aria-labelledby={`${props.id}-title`} data-testid={`view-${props.id}`}>
      <header class="view-head">
        <h2 id={`${props.id}-title`} tabIndex={-1} ref={heading}>
          {props.title}
        </h2>
        {props.actions ? <div class="toolbar">{props.actions}</div> : null}
      </header>
      {props.children}
    </section>
  );
}
