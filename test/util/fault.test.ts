import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/program.ts';
import { faultOf } from '../../src/util/fault.ts';

describe('fault classification', () => {
  it('reads the fault of an error that carries one, and nothing else', () => {
    expect(faultOf(Object.assign(new Error('x'), { fault: 'device' }))).toBe('device');
    expect(faultOf(Object.assign(new Error('x'), { fault: 'bogus' }))).toBeUndefined();
    expect(faultOf(new Error('x'))).toBeUndefined();
    expect(faultOf('text')).toBeUndefined();
  });

  it('maps faults to the documented exit codes', () => {
    expect(exitCodeFor(Object.assign(new Error('x'), { fault: 'local' }))).toBe(1);
    expect(exitCodeFor(Object.assign(new Error('x'), { fault: 'device' }))).toBe(2);
    expect(exitCodeFor(Object.assign(new Error('x'), { fault: 'no-answer' }))).toBe(3);
  });
});
