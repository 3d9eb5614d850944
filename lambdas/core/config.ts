import { configSchema, type PlatformConfig } from '../../config/schema';
import { parseYamlWith } from './validation';

/** Parses a config file's text; `file` is only used in error messages. */
export function parseConfig(text: string, file: string): PlatformConfig {
  return parseYamlWith(configSchema, text, file);
}
