/**
 * Node's built-in modules for the device's Node-only paths, loaded when first used rather than
 * imported, so the modules that have such a path (the firmware runner) stay loadable in a browser.
 * process.getBuiltinModule exists from Node 20.16 and 22.3.
 */

type Builtins = NodeJS.Process['getBuiltinModule'];

/** The Node built-in `id`, or a clear error where there is none (a browser, or Node before 20.16). */
export const nodeBuiltin: Builtins = ((id: string) => {
  const node = (globalThis as { process?: Partial<NodeJS.Process> }).process;
  if (typeof node?.getBuiltinModule !== 'function') {
    throw new Error(
      node?.versions?.node
        ? `the virtual device needs Node.js 20.16 or later for ${id} (process.getBuiltinModule); this is Node.js ${node.versions.node}`
        : `${id} exists only in Node.js: in a browser, give the device a browser firmware host (src/device/web/firmware-host.ts)`,
    );
  }
  return node.getBuiltinModule(id);
}) as Builtins;
