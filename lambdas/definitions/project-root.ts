import path from 'node:path';

/** The repository root: `config/`, `models/` and `stepfunctions/` live here. */
export const projectRoot = path.resolve(import.meta.dirname, '../..');
