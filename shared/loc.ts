/** [startLine, startCol, endLine, endCol]; lines 0-based, columns in UTF-16 code units. */
export type Loc = [number, number, number, number];
