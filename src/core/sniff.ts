// What image bytes really are, judged from the bytes (never from a name or a Content-Type):
// Lark converts TIFF (and HEIC) uploads to JPEG, so a downloaded image is named by what it is.
import { validateImageBytes } from './validate';
import type { ImageFormat } from './types';

/** The format of `bytes` as validation reads it; undefined when they are no image we know. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const v = validateImageBytes(bytes, 'message');
  return v.ok ? v.info.format : undefined;
}
