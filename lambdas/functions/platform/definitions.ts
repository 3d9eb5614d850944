import { loadSources, type Sources } from '../../definitions/source-files';
import { definitionsRoot, settings } from './settings';

let sourcesLoaded: Promise<Sources> | undefined;

/**
 * Config and contracts as bundled with the function, loaded once per container. Kept apart from
 * `project.ts` so ingestion bundles do not carry the SQL template engine.
 */
export function sources(): Promise<Sources> {
  sourcesLoaded ??= loadSources({ root: definitionsRoot, env: settings().MEDALLION_ENV });
  return sourcesLoaded;
}
