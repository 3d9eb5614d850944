import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** Debian's `chromium`, where installed: tests that need it are skipped without it. */
export const chromiumPath = spawnSync('which', ['chromium'], { encoding: 'utf8' }).stdout.trim();

/**
 * One headless Chromium command (`--dump-dom`, `--screenshot=…`) with every host name
 * unresolvable: the page gets nothing from the network.
 */
export function chromiumOffline(...args: string[]) {
  return spawnSync(
    chromiumPath,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      '--host-resolver-rules=MAP * ~NOTFOUND',
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
}

type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
};

/**
 * Headless Chromium driven over the DevTools protocol through `--remote-debugging-pipe` (JSON
 * messages ending in NUL on file descriptors 3 and 4): enough to load a page, run script in it,
 * click, and take screenshots, with no WebSocket client. Every host name is unresolvable, so a
 * page gets nothing from the network; `requests` lists every URL the page asked for.
 */
export class HeadlessChromium {
  readonly requests: string[] = [];
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  private readonly waiters: { method: string; resolve: () => void }[] = [];

  /** The page's session once attached; calls before that go to the browser. */
  private session: string | undefined;

  private constructor(private readonly child: ChildProcess) {}

  static async launch(width: number, height: number): Promise<HeadlessChromium> {
    const child = spawn(
      chromiumPath,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--hide-scrollbars',
        '--host-resolver-rules=MAP * ~NOTFOUND',
        '--remote-debugging-pipe',
        `--window-size=${width},${height}`,
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const page = new HeadlessChromium(child);
    page.listen(child.stdio[4] as Readable);
    const { targetId } = await page.call('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await page.call('Target.attachToTarget', { targetId, flatten: true });
    page.session = sessionId as string;
    await page.call('Page.enable');
    await page.call('Network.enable');
    await page.call('Emulation.setDeviceMetricsOverride', {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
    return page;
  }

  private event(message: Message): void {
    if (message.method === 'Network.requestWillBeSent') {
      this.requests.push((message.params!.request as { url: string }).url);
    }
    for (const [i, w] of this.waiters.entries()) {
      if (w.method === message.method) {
        this.waiters.splice(i, 1);
        w.resolve();
        break;
      }
    }
  }

  private listen(from: Readable): void {
    let buffer = '';
    from.setEncoding('utf8');
    from.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(buffer.slice(0, end)) as Message;
        buffer = buffer.slice(end + 1);
        if (message.id !== undefined) {
          const call = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.error) call?.reject(new Error(message.error.message));
          else call?.resolve(message.result ?? {});
        } else {
          this.event(message);
        }
      }
    });
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const message = { id, method, params, ...(this.session ? { sessionId: this.session } : {}) };
      (this.child.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  /** Resolves on the next event of that name (e.g. `Page.loadEventFired`). */
  next(method: string): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ method, resolve }));
  }

  async open(url: string): Promise<void> {
    const loaded = this.next('Page.loadEventFired');
    await this.call('Page.navigate', { url });
    await loaded;
  }

  /** The value of an expression evaluated in the page (JSON-serializable). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = (await this.call('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
    })) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(exceptionDetails)}`);
    return result.value;
  }

  async mouse(type: 'mousePressed' | 'mouseMoved' | 'mouseReleased', x: number, y: number) {
    await this.call('Input.dispatchMouseEvent', {
      type,
      x,
      y,
      button: 'left',
      buttons: type === 'mouseReleased' ? 0 : 1,
      clickCount: type === 'mouseMoved' ? 0 : 1,
    });
  }

  async click(x: number, y: number): Promise<void> {
    await this.mouse('mousePressed', x, y);
    await this.mouse('mouseReleased', x, y);
  }

  async screenshot(): Promise<Buffer> {
    const { data } = await this.call('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(data as string, 'base64');
  }

  close(): void {
    this.child.kill();
  }
}
