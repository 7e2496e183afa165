// The environment the soak runs with, unless the caller's environment sets the same variables: the native
// addon's pool of idle output arrays (FSPD_OUTPUT_POOL_MB, default 256 MiB) capped at 16 MiB, so that
// the pool filling up, which it does by design and within its cap, does not read as RSS growth. It is
// read when the addon loads, so the soak's entry points set it before importing load.ts.
export const SOAK_ENV = { FSPD_OUTPUT_POOL_MB: '16' } as const;
