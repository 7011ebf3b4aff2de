import { LocalCode } from './types';
import { UploadError } from './larkErrors';

export const LARK_BASE_URL = 'https://open.larksuite.com';
export const FEISHU_BASE_URL = 'https://open.feishu.cn';

/** Region presets users pick from; anything else must be a full https origin. */
export const REGION_BASE_URLS: Readonly<Record<'lark' | 'feishu', string>> = {
  lark: LARK_BASE_URL,
  feishu: FEISHU_BASE_URL,
};

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Turns user input into the origin every request goes to. Only an https origin is accepted,
 * except loopback (the stand-in server, a local proxy), so a token never crosses the network
 * in clear text. Paths, queries and user-info are refused rather than silently dropped: a
 * base URL with a path is almost always a pasted API URL, and we would rather say so.
 */
export function normalizeBaseUrl(input: string | undefined): string {
  const raw = (input ?? '').trim();
  if (raw === '' || raw === 'lark') return LARK_BASE_URL;
  if (raw === 'feishu') return FEISHU_BASE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UploadError(LocalCode.InsecureBaseUrl, `Base URL "${raw}" is not a valid URL (expected e.g. ${LARK_BASE_URL}).`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new UploadError(
      LocalCode.InsecureBaseUrl,
      `Base URL "${url.origin}" refused: only https:// origins are allowed (http:// only for localhost/127.0.0.1/[::1]).`,
    );
  }
  if (url.username || url.password) {
    throw new UploadError(LocalCode.InsecureBaseUrl, 'Base URL must not contain a user name or password.');
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new UploadError(
      LocalCode.InsecureBaseUrl,
      `Base URL must be an origin only (like ${LARK_BASE_URL}), without a path: got "${raw}".`,
    );
  }
  return url.origin;
}
