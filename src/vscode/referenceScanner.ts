// Runs the local-image scan (src/core/localReferences.ts) in a worker thread, so parsing an 8 MB
// document never blocks the extension host. One worker, started on the first scan, requests
// answered in order; a worker that dies fails its pending scans and is started again next time.
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { ScanResult } from '../core/localReferences';
import type { ScanRequest, ScanResponse } from '../referencesWorker';

export interface ScanInput {
  text: string;
  /** a language id or a file extension */
  language: string;
  documentDir: string;
  roots: readonly string[];
}

export class ReferenceScanner {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ScanResult) => void; reject: (e: Error) => void }>();
  private disposed = false;

  /** `workerFile`: dist/referencesWorker.js of the installed extension. */
  constructor(private readonly workerFile: string) {}

  static forExtension(extensionPath: string): ReferenceScanner {
    return new ReferenceScanner(path.join(extensionPath, 'dist', 'referencesWorker.js'));
  }

  scan(input: ScanInput): Promise<ScanResult> {
    if (this.disposed) return Promise.reject(new Error('the reference scanner is disposed'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const request: ScanRequest = { id, text: input.text, language: input.language, documentDir: input.documentDir, roots: [...input.roots] };
    return new Promise<ScanResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerFile);
    // an idle worker must not keep a process alive (the extension host exits on its own terms)
    worker.unref();
    worker.on('message', (response: ScanResponse) => {
      const waiter = this.pending.get(response.id);
      if (!waiter) return;
      this.pending.delete(response.id);
      if ('error' in response) waiter.reject(new Error(response.error));
      else waiter.resolve(response.result);
    });
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        waiter.reject(error);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the reference scanner stopped (exit ${code})`)));
    this.worker = worker;
    return worker;
  }

  dispose(): void {
    this.disposed = true;
    const worker = this.worker;
    this.worker = undefined;
    for (const [id, waiter] of this.pending) {
      this.pending.delete(id);
      waiter.reject(new Error('the reference scanner is disposed'));
    }
    void worker?.terminate();
  }
}
