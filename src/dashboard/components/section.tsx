/** A view's frame: its heading (the focus target when the view opens) and an optional toolbar. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function ViewSection(props: {
  id: string;
  title: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Moving focus to the new view's heading tells keyboard and screen-reader users where they are.
    heading.current?.focus({ preventScroll: true });
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
