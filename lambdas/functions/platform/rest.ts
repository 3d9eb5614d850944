import * as z from 'zod';
import type { PlatformConfig } from '../../../config/schema';
import { PipelineError } from '../../core/errors';
import { secrets } from './secrets';

const tokenSecret = z.object({ token: z.string().min(1) });

/** A REST source's base URL (from config) and bearer token (from its secret `{ "token": ... }`). */
export function restEndpoints(config: PlatformConfig) {
  const reader = secrets();
  return async (name: string) => {
    const source = config.sources[name];
    if (source?.kind !== 'rest' || !source.baseUrl) {
      throw new PipelineError(
        `REST source ${name} needs a baseUrl in config/${config.env}.yaml to run on AWS`,
      );
    }
    return {
      baseUrl: source.baseUrl,
      token: source.secret ? (await reader.json(source.secret, tokenSecret)).token : undefined,
    };
  };
}
