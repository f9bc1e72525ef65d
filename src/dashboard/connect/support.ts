/**
 * Whether this browser can use each way of connecting, and if not, why in words a person can act
 * on (the Connect view shows the reason beside the disabled button). Reads only `navigator` and
 * `isSecureContext`, passed in so it is testable.
 */
export type Support = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface BrowserFacts {
  readonly secure: boolean;
  readonly hasSerial: boolean;
  readonly hasBluetooth: boolean;
  readonly hasWorker: boolean;
  readonly hasIndexedDb: boolean;
}

export function browserFacts(): BrowserFacts {
  return {
    secure: globalThis.isSecureContext === true,
    hasSerial: typeof navigator !== 'undefined' && 'serial' in navigator,
    hasBluetooth: typeof navigator !== 'undefined' && 'bluetooth' in navigator,
    hasWorker: typeof Worker !== 'undefined',
    hasIndexedDb: typeof indexedDB !== 'undefined',
  };
}

const INSECURE =
  'this page is not a secure context: open it over https:// or from http://localhost (zdfu serve does)';

export function webSerialSupport(facts: BrowserFacts): Support {
  if (!facts.secure) return { ok: false, reason: `Web Serial needs a secure context; ${INSECURE}.` };
  if (!facts.hasSerial) {
    return {
      ok: false,
      reason:
        'Web Serial needs a Chromium-based browser (Chrome, Edge, Opera) on a desktop; this one has no navigator.serial.',
    };
  }
  return { ok: true };
}

export function webBluetoothSupport(facts: BrowserFacts): Support {
  if (!facts.secure) return { ok: false, reason: `Web Bluetooth needs a secure context; ${INSECURE}.` };
  if (!facts.hasBluetooth) {
    return {
      ok: false,
      reason:
        'Web Bluetooth needs Chromium (Chrome, Edge) with Bluetooth enabled; on Linux start it with ' +
        '--enable-features=WebBluetooth. This browser has no navigator.bluetooth.',
    };
  }
  return { ok: true };
}

export function virtualBoardSupport(facts: BrowserFacts): Support {
  if (!facts.hasWorker)
    return { ok: false, reason: 'The virtual board runs in a Web Worker, which this browser lacks.' };
  return { ok: true };
}
