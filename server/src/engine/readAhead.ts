import type { WorkspaceFs } from './types';

/** Reads in flight ahead of the one being waited for. */
const READS_AHEAD = 8;

/**
 * Reads `paths` in order with reads in flight ahead of the caller, so files arrive while it
 * parses instead of one awaited read at a time: `read(i)` gives the bytes of paths[i], or
 * undefined when the file cannot be read. Call it for i = 0, 1, 2, … in turn.
 */
export function readAhead(fs: WorkspaceFs, paths: readonly string[]): (i: number) => Promise<Uint8Array | undefined> {
  const pending = new Map<number, Promise<Uint8Array | undefined>>();
  let issued = 0;
  const start = (i: number) => fs.read(paths[i]).catch(() => undefined);
  return (i) => {
    for (; issued < paths.length && issued <= i + READS_AHEAD; issued++) pending.set(issued, start(issued));
    const bytes = pending.get(i) ?? start(i);
    pending.delete(i);
    return bytes;
  };
}
