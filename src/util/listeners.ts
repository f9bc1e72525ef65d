/** A set of callbacks for one kind of event: `add` returns the function that removes it again. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  /** Calls every listener; one that unsubscribes itself meanwhile does not disturb the others. */
  emit(value: T): void {
    for (const listener of [...this.set]) listener(value);
  }

  /** How many are listening (lets a hot path skip building an event nobody receives). */
  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }
}
