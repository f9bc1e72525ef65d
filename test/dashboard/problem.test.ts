import { describe, expect, it } from 'vitest';
import { DfuError } from '../../src/client/dfu.ts';
import { UploadError } from '../../src/client/upload.ts';
import { isNotSupported, problemText } from '../../src/dashboard/model/problem.ts';
import { SmpError } from '../../src/smp/errors.ts';
import { LinkError } from '../../src/transport/link-error.ts';

describe('problemText (failures in words)', () => {
  it('says the device went away when the link closed, however deep the cause', () => {
    const gone = new LinkError('the serial port was unplugged.', true);
    const wrapped = new UploadError('image upload failed at offset 1024', 1024, {
      cause: gone,
      fault: 'no-answer',
    });
    expect(problemText(wrapped)).toBe(
      'The connection to the device closed (the serial port was unplugged). Nothing more can be sent: connect again.',
    );
  });

  it('adds what to check to a transfer that met silence', () => {
    const silent = new UploadError(
      'The device did not answer the chunk at offset 3500 after 4 tries.',
      3500,
      {
        fault: 'no-answer',
      },
    );
    expect(problemText(silent)).toBe(
      'The device did not answer the chunk at offset 3500 after 4 tries. The device stopped answering: check ' +
        'that it has power and is connected (a virtual board: power it on), then try again.',
    );
  });

  it("keeps a DfuError's own advice and a device error's code", () => {
    expect(problemText(new DfuError('MCUboot refused it.', 'no-answer'))).toBe('MCUboot refused it.');
    const refused = new SmpError({ kind: 'rc', rc: 8 }, { command: 'fs file status' });
    expect(problemText(refused)).toContain('MGMT_ERR_ENOTSUP');
    expect(isNotSupported(refused)).toBe(true);
  });
});
