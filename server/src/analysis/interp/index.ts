/** The interpreter, as the analysis outside this folder uses it; its feature modules see it through api.ts. */
export { Interpreter } from './core';
