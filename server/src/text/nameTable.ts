/**
 * A lookup table keyed by names from the user's code or configuration. It has no prototype, so a
 * Python name that happens to be an `Object.prototype` member (`constructor`, `toString`,
 * `hasOwnProperty`) finds nothing instead of a JavaScript function.
 */
export function nameTable<T>(rows: Record<string, T>): Readonly<Partial<Record<string, T>>> {
  return Object.freeze(Object.assign(Object.create(null) as Record<string, T>, rows));
}
