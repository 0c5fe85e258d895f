// What the sandbox's context loses before any user code runs: everything that allocates memory
// outside the isolate's heap and outside isolated-vm's array-buffer allocator, so that the
// isolate's memory limit really bounds what user code can take. See docs/decisions.md
// ("Code sandbox").

/**
 * Run once in each new context (as a script, before the user's code is compiled into it):
 *
 * - `console` becomes inert: V8's own console exists in a bare context, and nothing user code
 *   logs may go anywhere.
 * - `WebAssembly` is deleted. A wasm memory is reserved and committed by V8 directly, not
 *   through the array-buffer allocator isolated-vm counts: `new WebAssembly.Memory({initial:
 *   49152})` filled took the server to 3.3 GB for one cell under a 128 MB limit. The namespace
 *   is the only way to any wasm object (no builtin returns one), so deleting it removes them all.
 * - `Intl` is deleted. Its formatters hold ICU objects allocated outside the heap and uncounted:
 *   20,000 `new Intl.DateTimeFormat('en-US')` kept in an array took 547 MB of RSS under the
 *   128 MB limit. `toLocaleString(locale)` and `localeCompare` still work (V8 caches the ICU
 *   objects they use: 200,000 calls over five locales took 5 MB).
 * - `ArrayBuffer` and `SharedArrayBuffer` refuse the `maxByteLength` option. Resizable and
 *   growable buffers are also reserved and committed by V8 itself, outside the count:
 *   `new ArrayBuffer(2 ** 31 - 1, {maxByteLength: 2 ** 31})` filled took 2.2 GB. Fixed-length
 *   buffers (and every typed array's buffer) go through the allocator, which refuses an
 *   allocation past the limit ("Array buffer allocation failed"). The wrappers take the
 *   originals' place everywhere user code can find a constructor (the global and
 *   `prototype.constructor`); the originals stay in this closure. A wrapper never lets user code
 *   run while an original's frame is on the stack (the length is made a number first and the
 *   prototype of a subclass is read afterwards), so no stack-frame trick can reach one.
 *
 * The script is strict, so its functions' frames hide their callers' functions and receivers.
 */
export const HARDEN_CONTEXT = `'use strict';
(() => {
  globalThis.console = Object.freeze({ log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {}, dir() {}, table() {} });
  delete globalThis.WebAssembly;
  delete globalThis.Intl;

  // Captured now: user code may replace the globals later, and the wrappers must not call it.
  const construct = Reflect.construct, setPrototypeOf = Object.setPrototypeOf, defineProperty = Object.defineProperty;
  const descriptors = Object.getOwnPropertyDescriptors, ownKeys = Reflect.ownKeys, TypeErr = TypeError;

  function fixedLength(Original) {
    const name = Original.name;
    const Wrapper = function (length, options) {
      if (new.target === undefined) throw new TypeErr("Constructor " + name + " requires 'new'");
      if (options !== null && (typeof options === 'object' || typeof options === 'function') && options.maxByteLength !== undefined) {
        throw new TypeErr('resizable ' + name + 's are not available in the sandbox (they are not counted by its memory limit)');
      }
      const buffer = construct(Original, [+length]);
      if (new.target !== Wrapper) {
        // A subclass: its prototype, read now that the original has returned.
        const proto = new.target.prototype;
        if (proto !== null && (typeof proto === 'object' || typeof proto === 'function')) setPrototypeOf(buffer, proto);
      }
      return buffer;
    };
    const statics = descriptors(Original);
    for (const key of ownKeys(statics)) {
      if (key === 'prototype') continue;
      defineProperty(Wrapper, key, statics[key]);
    }
    defineProperty(Wrapper, 'prototype', { value: Original.prototype, writable: false, enumerable: false, configurable: false });
    defineProperty(Original.prototype, 'constructor', { value: Wrapper, writable: true, enumerable: false, configurable: true });
    defineProperty(globalThis, name, { value: Wrapper, writable: true, enumerable: false, configurable: true });
  }
  fixedLength(ArrayBuffer);
  fixedLength(SharedArrayBuffer);
})();
`;
