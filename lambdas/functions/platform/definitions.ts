import { loadProject, type Project } from '../../adapters/fs/project-files';
import { loadSources, type Sources } from '../../adapters/fs/source-files';
import { definitionsRoot, settings } from './settings';

let sourcesLoaded: Promise<Sources> | undefined;
let projectLoaded: Promise<Project> | undefined;

/** Config and contracts as bundled with the function, loaded once per container. */
export function sources(): Promise<Sources> {
  sourcesLoaded ??= loadSources({ root: definitionsRoot, env: settings().MEDALLION_ENV });
  return sourcesLoaded;
}

/** Config, contracts and SQL models: what the transform function needs. */
export function definitions(): Promise<Project> {
  projectLoaded ??= loadProject({ root: definitionsRoot, env: settings().MEDALLION_ENV });
  return projectLoaded;
}
