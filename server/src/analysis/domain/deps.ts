/** A model read: the one type both values and keys (a hash's covered data) are made of. */
import type { Loc } from '../../syntax/ir';

export interface Dep {
  model: string;
  /** How the value reads the model, first hop first. */
  via: string[];
  path: string;
  loc: Loc;
  /** The only columns the value holds (plain fields of an instance, `self.data`); absent: the whole row. */
  columns?: string[];
  /** The value reads one row, the one a model's own method runs on (`self`): its reader has that row at hand. */
  oneRow?: boolean;
  /**
   * The value reads only rows that rows it reads point to through foreign keys (a serializer's
   * `source="exercise.uuid"`): those rows exist already, so inserting rows of the model cannot change it.
   */
  pointedTo?: boolean;
}
