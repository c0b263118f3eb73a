/** [startLine, startCol, endLine, endCol]; lines 0-based, columns in UTF-16 code units. */
export type Loc = [number, number, number, number];

/** A place in a workspace folder: a path relative to its root, '/'-separated, and a span. */
export interface Location {
  path: string;
  loc: Loc;
}
