import type { HttpPostClient, HttpResponse } from '../../core/ports';

/** HttpClient on the platform's `fetch`; a timeout aborts the request. */
export class FetchHttpClient implements HttpPostClient {
  async get(
    url: string,
    options: { headers: Record<string, string>; timeoutMs: number },
  ): Promise<HttpResponse> {
    return this.send(url, { method: 'GET', headers: options.headers }, options.timeoutMs);
  }

  async post(
    url: string,
    options: { headers: Record<string, string>; body: string; timeoutMs: number },
  ): Promise<HttpResponse> {
    return this.send(
      url,
      { method: 'POST', headers: options.headers, body: options.body },
      options.timeoutMs,
    );
  }

  private async send(url: string, init: RequestInit, timeoutMs: number): Promise<HttpResponse> {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      body: await response.text(),
    };
  }
}
