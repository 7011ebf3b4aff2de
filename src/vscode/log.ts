// The "Lark Image Upload" output channel: one line per request, never a token or secret.
import * as vscode from 'vscode';
import { OUTPUT_CHANNEL_NAME } from '../constants';
import type { RequestLog } from '../core/larkClient';
import { redact } from '../core/larkErrors';

export class UploadLog implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;
  /** Secrets currently known (set by the credential store) are masked in every line. */
  private secrets: string[] = [];

  constructor() {
    this.channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  }

  setSecrets(secrets: string[]): void {
    this.secrets = secrets.filter(Boolean);
  }

  /** `POST /open-apis/im/v1/images 200 code=0 log_id=… 123 ms` */
  request(entry: RequestLog): void {
    const line = `${entry.method} ${entry.path} ${entry.status ?? 'no answer'} code=${entry.code ?? '-'} log_id=${entry.logId ?? '-'} ${entry.durationMs} ms`;
    if (entry.status === undefined || (entry.code !== undefined && entry.code !== 0) || (entry.status ?? 0) >= 400) this.channel.warn(this.mask(line));
    else this.channel.info(this.mask(line));
  }

  info(message: string): void {
    this.channel.info(this.mask(message));
  }

  warn(message: string): void {
    this.channel.warn(this.mask(message));
  }

  error(message: string): void {
    this.channel.error(this.mask(message));
  }

  /** `text` with every known secret (and token-shaped text) masked: for messages shown to the user too. */
  mask(text: string): string {
    return redact(text, this.secrets);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
