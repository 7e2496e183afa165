// The native addon for the tests that call it directly, and the skip reason when it is not built. CI builds
// it, so under CI these tests run (and fail without it).
import { loadAddon, type NativeAddon } from '../../src/native/addon.js';

let loadError = '';
export const addon: NativeAddon | undefined = (() => {
  try {
    return loadAddon();
  } catch (err) {
    loadError = (err as Error).message.split('\n')[0]!;
    return undefined;
  }
})();

export const addonSkip: false | string = addon || process.env.CI ? false : `native addon not built (${loadError}); npm run build:native builds it`;
