import { loadProject, type Project } from '../../definitions/project-files';
import { definitionsRoot, settings } from './settings';

let projectLoaded: Promise<Project> | undefined;

/** Config, contracts and SQL models as bundled with the function: what the transform needs. */
export function definitions(): Promise<Project> {
  projectLoaded ??= loadProject({ root: definitionsRoot, env: settings().MEDALLION_ENV });
  return projectLoaded;
}
