/**
 * Stands in for `@aws-sdk/credential-provider-node` in the function bundles (an esbuild alias,
 * see `functionBundling`). Lambda hands every function its role's credentials in environment
 * variables, so the default chain's other providers (SSO, web identity, ini files, process,
 * instance metadata) are never reached; leaving them out takes about 110 KB off each bundle.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider = fromEnv;
