import { createHash } from 'node:crypto';
import type { ObjectStore } from '../../lambdas/core/ports';

/** An ObjectStore in memory: the S3 semantics core relies on, without a file system. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, string>();

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }
  async getText(key: string): Promise<string | undefined> {
    return this.objects.get(key);
  }
  async putText(key: string, text: string): Promise<void> {
    this.objects.set(key, text);
  }
  async move(fromKey: string, toKey: string): Promise<void> {
    const value = this.objects.get(fromKey);
    if (value === undefined) throw new Error(`no object ${fromKey}`);
    this.objects.delete(fromKey);
    this.objects.set(toKey, value);
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }
  async hash(key: string): Promise<string> {
    return createHash('sha256')
      .update(this.objects.get(key) ?? '')
      .digest('hex');
  }
}
