/**
 * OpenLineage's HTTP transport: each event POSTed as JSON to the configured endpoint (Marquez
 * takes them at `/api/v1/lineage`). A status other than 2xx is an error naming the status.
 */
import type { HttpPostClient } from '../ports';
import type { LineageTransport } from './events';
import type { RunEvent } from './openlineage';

export class HttpLineageTransport implements LineageTransport {
  constructor(
    private readonly http: HttpPostClient,
    private readonly endpoint: string,
    private readonly timeoutMs: number,
  ) {}

  async send(event: RunEvent): Promise<void> {
    const response = await this.http.post(this.endpoint, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      timeoutMs: this.timeoutMs,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new Error(
        `${this.endpoint} answered ${response.status}: ${response.body.slice(0, 200)}`,
      );
    }
  }
}
