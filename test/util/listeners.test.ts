import { describe, expect, it } from 'vitest';
import { Listeners } from '../../src/util/listeners.ts';

describe('Listeners', () => {
  it('calls every listener, and one removed while emitting does not disturb the others', () => {
    const listeners = new Listeners<number>();
    const seen: string[] = [];
    const offA = listeners.add((n) => {
      seen.push(`a${n}`);
      offA();
    });
    listeners.add((n) => seen.push(`b${n}`));
    expect(listeners.size).toBe(2);
    listeners.emit(1);
    listeners.emit(2);
    expect(seen).toEqual(['a1', 'b1', 'b2']);
    listeners.clear();
    listeners.emit(3);
    expect(seen).toHaveLength(3);
    expect(listeners.size).toBe(0);
  });
});
