// Shared vocabulary of the vscode-free core. Nothing here imports 'vscode'.

export type ImageType = 'message' | 'avatar';
export const IMAGE_TYPES: readonly ImageType[] = ['message', 'avatar'];

/** Formats the upload API accepts (doc: JPEG, PNG, WEBP, GIF, TIFF, BMP, ICO). */
export type ImageFormat = 'jpg' | 'png' | 'webp' | 'gif' | 'tiff' | 'bmp' | 'ico';

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024; // 10,485,760: exactly this passes

/**
 * Codes of our own for problems Lark never sees (the file never left the machine, or the
 * answer never arrived). Lark's codes are 5 to 8 digits; ours are 9xxx so they cannot collide.
 * Listed in README.md ("Error codes of this tool").
 */
export const LocalCode = {
  FileNotFound: 9001,
  NotAFile: 9002,
  FileUnreadable: 9003,
  NetworkError: 9101,
  Timeout: 9102,
  BadResponse: 9103,
  Cancelled: 9104,
  InsecureBaseUrl: 9105,
  RedirectRefused: 9106,
  MissingCredentials: 9107,
  CertificateRejected: 9108,
} as const;
export type LocalCode = (typeof LocalCode)[keyof typeof LocalCode];

/** What validation learned about a file that can be uploaded. */
export interface ImageInfo {
  path: string;
  size: number;
  format: ImageFormat;
  mime: string;
  width: number;
  height: number;
  /** Bytes actually read from disk to decide (for the "read only the header" promise). */
  bytesRead: number;
}

export type ValidationResult =
  | { ok: true; info: ImageInfo }
  | { ok: false; path: string; code: number; message: string; bytesRead: number };
