// Studies: configurations × seeds with validation-chosen knobs, resumable, summarised as mean ± 95 % CI.
export * from './stats.js';
export * from './config.js';
export * from './data.js';
export * from './runner.js';
export * from './summary.js';
export * from './finding.js';
export * from './import.js';
