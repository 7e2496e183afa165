// One turn of the event loop. Long work (Run's steps, Evaluate's batches) awaits it between slices, so health
// checks and other calls are answered in between: setImmediate callbacks run after pending I/O.
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
