/**
 * Runs in the page (an init script, bundled by ../web-bluetooth-bridge.ts): the page half of the
 * notification workaround of /work/shared/reference/ble-and-browser-testing.md §2.4. DevTools'
 * BluetoothEmulation has no notification command, but when the page calls readValue() on a
 * characteristic and the test answers that read with data, Chromium fires the real
 * `characteristicvaluechanged` event on the app's own characteristic object (spec behaviour of
 * readValue). So this keeps the characteristic objects the app obtains (getCharacteristic and
 * getCharacteristics), and window.__zdfuBleNotify(uuid) reads the latest one; the test answers the
 * read it causes with the notification's bytes. One at a time (the test serializes them): three
 * concurrent reads gave one protocol read and three events carrying the first value.
 */

declare global {
  interface Window {
    /** Reads the app's characteristic `uuid` so that the test's answer reaches it as a notification. */
    __zdfuBleNotify(uuid: string): Promise<string>;
  }
}

(() => {
  const kept = new Map<string, BluetoothRemoteGATTCharacteristic>();
  // @types/web-bluetooth declares the interfaces but not their constructors on window.
  const proto = (
    window as unknown as { BluetoothRemoteGATTService: { prototype: BluetoothRemoteGATTService } }
  ).BluetoothRemoteGATTService.prototype;
  const getOne = proto.getCharacteristic;
  const getMany = proto.getCharacteristics;
  proto.getCharacteristic = async function (
    this: BluetoothRemoteGATTService,
    characteristic: BluetoothCharacteristicUUID,
  ) {
    const found = await getOne.call(this, characteristic);
    kept.set(found.uuid, found);
    return found;
  };
  proto.getCharacteristics = async function (
    this: BluetoothRemoteGATTService,
    characteristic?: BluetoothCharacteristicUUID,
  ) {
    const found = await getMany.call(this, characteristic);
    for (const c of found) kept.set(c.uuid, c);
    return found;
  };
  window.__zdfuBleNotify = async (uuid) => {
    const characteristic = kept.get(uuid);
    if (!characteristic) return 'the page has not obtained that characteristic';
    try {
      await characteristic.readValue();
      return 'ok';
    } catch (error) {
      // Disconnected meanwhile: the notification is lost, as it would be over the air.
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
  };
})();

export {};
