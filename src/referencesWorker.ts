// The worker thread that scans documents for local image references (bundled as
// dist/referencesWorker.js): parsing a large Markdown or JSON document and checking its paths on
// disk happens here, never on the extension host's thread. One request at a time per message:
//   in:  { id, text, language, documentDir, roots }
//   out: { id, result: ScanResult } or { id, error: string }
import { parentPort } from 'worker_threads';
import { scanLocalReferences, type ScanResult } from './core/localReferences';

export interface ScanRequest {
  id: number;
  text: string;
  language: string;
  documentDir: string;
  roots: string[];
}

export type ScanResponse = { id: number; result: ScanResult } | { id: number; error: string };

parentPort?.on('message', (request: ScanRequest) => {
  let response: ScanResponse;
  try {
    response = { id: request.id, result: scanLocalReferences(request.text, request.language, { documentDir: request.documentDir, roots: request.roots }) };
  } catch (e) {
    response = { id: request.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(response);
});
