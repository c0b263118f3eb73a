/** The interpreter's public face: the evaluator core, and the interface its feature modules see. */
export { Interpreter } from './core';
export type { InterpreterApi } from './api';
