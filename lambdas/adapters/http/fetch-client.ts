import type { HttpClient, HttpResponse } from '../../core/ports';

/** HttpClient on the platform's `fetch`; a timeout aborts the request. */
export class FetchHttpClient implements HttpClient {
  async get(
    url: string,
    options: { headers: Record<string, string>; timeoutMs: number },
  ): Promise<HttpResponse> {
    const response = await fetch(url, {
      headers: options.headers,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      body: await response.text(),
    };
  }
}
