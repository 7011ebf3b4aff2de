// Catalog of every error code the uploader can meet: Lark's documented codes (upload image,
// download image, gateway, tenant-token auth) plus our own LocalCode 9xxx codes.
// vscode-free: used by the client, the scheduler, the CLI and the extension.
//
// Classification notes (the non-obvious ones):
// - Token errors 99991663 / 99991664 / 99991671 are handled by the client, not by the generic
//   retry loop: on one of them it drops its cached tenant_access_token, fetches a new one and
//   retries ONCE (isTokenError). So the catalog marks them retryable: false — a plain retry with
//   the same token cannot help — with action 'check-credentials': if they survive a fresh token,
//   the App ID / Secret or the domain (Feishu vs Lark) is wrong. 'sign-in-again' is kept for
//   the user-token codes 99991668 / 99991677, which only a new user authorization fixes.
// - 99991400 (rate limit, HTTP 429) and 232096 (meta writing stopped) are retryable with
//   'retry-later'. 99991401 is an IP allowlist denial, NOT a rate limit: not retryable.
// - 234002 (Unauthorized, HTTP 401) is not retryable; the doc says to contact support, but the
//   usual cause on our side is wrong credentials, so the action is 'check-credentials' and the
//   hint mentions support with the log ID.
// - 234039 (resolution) points to the file API ('use-file-api'); 234041 / 234042 are tenant
//   problems ('contact-admin'), not retryable.
// - Local: 9101 network error and 9102 timeout are retryable ('check-network'). 9103 bad
//   response (not Lark JSON, typically a proxy/load-balancer page) is retried by the scheduler
//   only when its HTTP status is 5xx or 429 (shouldRetry); a non-JSON 4xx will not get better and
//   fails at once. Its action 'check-settings' is for when it persists (wrong base URL / proxy).
//   9104 cancelled: 'none'. 9108 (the server's TLS certificate was not accepted) is not retryable:
//   the same certificate fails the same way.

import { LocalCode } from './types';

export type ErrorAction =
  | 'retry-later'
  | 'fix-file'
  | 'use-file-api'
  | 'check-credentials'
  | 'sign-in-again'
  | 'enable-bot'
  | 'grant-scope'
  | 'check-ip-allowlist'
  | 'contact-admin'
  | 'contact-support'
  | 'check-network'
  | 'check-settings'
  | 'none';

export const ERROR_ACTIONS: readonly ErrorAction[] = [
  'retry-later',
  'fix-file',
  'use-file-api',
  'check-credentials',
  'sign-in-again',
  'enable-bot',
  'grant-scope',
  'check-ip-allowlist',
  'contact-admin',
  'contact-support',
  'check-network',
  'check-settings',
  'none',
];

export type ErrorCategory = 'upload' | 'download' | 'gateway' | 'auth' | 'local';

export interface ErrorInfo {
  code: number;
  /** Short English title, e.g. "Image resolution exceeds the limit". */
  title: string;
  /** One line each: what to do (never restating the reason: problemText puts both in one line). */
  hint: { en: string; zhCn: string };
  docUrl: string;
  retryable: boolean;
  action: ErrorAction;
  /** Documented HTTP status where known. */
  httpStatus?: number;
  category: ErrorCategory;
}

/**
 * README section listing our own 9xxx codes ("Error codes of this tool"), relative to the package
 * root: the project has no public home page to link to, so the extension resolves this against
 * its own folder (the README ships in the .vsix) and opens it in the editor.
 */
export const README_ERRORS_URL = 'README.md#error-codes-of-this-tool';

export const UPLOAD_IMAGE_DOC_URL = 'https://open.larksuite.com/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/image/create';
export const DOWNLOAD_IMAGE_DOC_URL = 'https://open.larksuite.com/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/image/get';
export const UPLOAD_FILE_DOC_URL = 'https://open.larksuite.com/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/file/create';
export const BOT_ABILITY_DOC_URL =
  'https://open.larksuite.com/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-enable-bot-ability';
export const SERVER_ERROR_CODES_DOC_URL = 'https://open.larksuite.com/document/server-docs/getting-started/server-error-codes';
export const RATE_LIMIT_DOC_URL = 'https://open.larksuite.com/document/ukTMukTMukTM/uUzN04SN3QjL1cDN';

type Entry = Omit<ErrorInfo, 'hint' | 'category'> & { en: string; zh: string };

function group(category: ErrorCategory, entries: Entry[]): ErrorInfo[] {
  return entries.map(({ en, zh, ...rest }) => {
    const info: ErrorInfo = { ...rest, hint: Object.freeze({ en, zhCn: zh }), category };
    return Object.freeze(info);
  });
}

const UPLOAD = group('upload', [
  {
    code: 232096,
    title: 'Lark has temporarily stopped writes',
    en: 'Lark has paused writes for this app for a moment; try again in a few minutes.',
    zh: '飞书暂时停止了该应用的数据写入，请过几分钟再试。',
    docUrl: UPLOAD_IMAGE_DOC_URL,
    retryable: true,
    action: 'retry-later',
    httpStatus: 400,
  },
  {
    code: 234001,
    title: 'Invalid request parameter',
    en: 'Lark rejected the request parameters; check the image type setting (message or avatar) and that the file is a valid image.',
    zh: '请求参数有误，请检查图片类型设置（message 或 avatar）以及文件是否为有效图片。',
    docUrl: UPLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'check-settings',
    httpStatus: 400,
  },
  {
    code: 234002,
    title: 'Unauthorized',
    en: 'Lark could not authenticate the request; check the App ID, App Secret and domain (Feishu or Lark), and if it persists contact Lark support with the log ID.',
    zh: '鉴权失败，请检查 App ID、App Secret 及所选域名（飞书或 Lark）；如仍失败，请附上日志 ID（log ID）联系飞书技术支持。',
    docUrl: UPLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'check-credentials',
    httpStatus: 401,
  },
  {
    code: 234006,
    title: 'File size exceeds the limit',
    en: 'Compress or shrink the image and upload it again.',
    zh: '请压缩或缩小图片后重新上传。',
    docUrl: UPLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'fix-file',
    httpStatus: 400,
  },
  {
    code: 234007,
    title: 'Bot ability is not enabled',
    en: 'Enable the bot ability for this app in the Lark developer console and publish a new app version, then try again.',
    zh: '请在开发者后台为该应用开启机器人能力，并发布新版本后重试。',
    docUrl: BOT_ABILITY_DOC_URL,
    retryable: false,
    action: 'enable-bot',
    httpStatus: 400,
  },
  {
    code: 234010,
    title: 'File is empty',
    en: 'Check that the image was saved completely, or choose another one.',
    zh: '请确认图片已完整保存，或选择其他图片。',
    docUrl: UPLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'fix-file',
    httpStatus: 400,
  },
  {
    code: 234011,
    title: 'Unrecognized image format',
    en: 'Convert the image to a supported format and upload it again.',
    zh: '请将图片转换为支持的格式后重新上传。',
    docUrl: UPLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'fix-file',
    httpStatus: 400,
  },
  {
    code: 234039,
    title: 'Image resolution exceeds the limit',
    en: 'Downscale the image, or send it with the file upload API instead.',
    zh: '请缩小图片，或改用上传文件接口以文件形式发送。',
    docUrl: UPLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'use-file-api',
    httpStatus: 400,
  },
  {
    code: 234041,
    title: 'Tenant encryption key has been deleted',
    en: "The tenant's master encryption key has been deleted; contact your Lark tenant administrator.",
    zh: '企业的加密主密钥已被删除，请联系企业管理员。',
    docUrl: UPLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'contact-admin',
    httpStatus: 400,
  },
  {
    code: 234042,
    title: 'Tenant storage error',
    en: "The tenant's hybrid-deployment storage reported an error (for example it is full); contact your tenant administrator or Lark support.",
    zh: '混合部署企业的存储出现错误（如存储空间已满），请联系企业管理员或技术支持。',
    docUrl: UPLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'contact-admin',
    httpStatus: 400,
  },
]);

const DOWNLOAD = group('download', [
  {
    code: 234005,
    title: 'Image has been deleted',
    en: 'This image has been deleted on Lark; upload it again to get a new image_key.',
    zh: '该图片已被删除，请重新上传以获取新的 image_key。',
    docUrl: DOWNLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'none',
  },
  {
    code: 234008,
    title: 'App is not the uploader of this image',
    en: 'Only the app that uploaded an image can download it; use the credentials of the app that uploaded it.',
    zh: '只有上传该图片的应用才能下载它，请使用上传时所用应用的凭证。',
    docUrl: DOWNLOAD_IMAGE_DOC_URL,
    retryable: false,
    action: 'check-credentials',
  },
]);

const GATEWAY = group('gateway', [
  {
    code: 99991661,
    title: 'Access token missing',
    en: 'The request carried no access token; check the App ID and App Secret in the settings.',
    zh: '请求未携带访问凭证（access token），请检查设置中的 App ID 和 App Secret。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'check-credentials',
    httpStatus: 400,
  },
  {
    code: 99991663,
    title: 'Invalid access token',
    en: 'Lark rejected the access token even after a refresh; check that the App ID and App Secret belong to the selected domain (Feishu or Lark).',
    zh: '访问凭证无效（刷新后仍被拒绝），请确认 App ID 和 App Secret 与所选域名（飞书或 Lark）一致。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'check-credentials',
    httpStatus: 400,
  },
  {
    code: 99991664,
    title: 'Invalid app access token',
    en: 'Lark rejected the app access token even after a refresh; check the App ID, App Secret and the selected domain.',
    zh: '应用访问凭证无效（刷新后仍被拒绝），请检查 App ID、App Secret 及所选域名。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'check-credentials',
  },
  {
    code: 99991665,
    title: 'Invalid tenant code',
    en: 'Lark did not recognize the tenant; check the App ID and that the app is installed in your tenant.',
    zh: '企业标识无效，请检查 App ID，并确认应用已在企业内安装启用。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'check-credentials',
  },
  {
    code: 99991671,
    title: 'Malformed access token',
    en: 'The access token must start with t- or u-; check the credentials and the base URL in the settings.',
    zh: '访问凭证格式不正确（应以 t- 或 u- 开头），请检查凭证和服务地址设置。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'check-credentials',
  },
  {
    code: 99991668,
    title: 'User access token is invalid',
    en: 'The user access token is invalid; sign in and authorize the app again.',
    zh: '用户访问凭证无效，请重新登录并授权应用。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'sign-in-again',
  },
  {
    code: 99991677,
    title: 'User access token has expired',
    en: 'The user access token has expired; sign in and authorize the app again.',
    zh: '用户访问凭证已过期，请重新登录并授权应用。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'sign-in-again',
  },
  {
    code: 99991672,
    title: 'App lacks a required scope',
    en: 'Add the im:resource or im:resource:upload scope to the app in the developer console and publish a new version.',
    zh: '应用缺少所需权限，请在开发者后台开通 im:resource 或 im:resource:upload 权限，并发布新版本。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'grant-scope',
  },
  {
    code: 99991676,
    title: 'Token lacks the required permission',
    en: 'The access token does not carry the needed scope; grant im:resource (or im:resource:upload), publish the app version and try again.',
    zh: '当前访问凭证不具备所需权限，请开通 im:resource（或 im:resource:upload）权限并发布版本后重试。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'grant-scope',
  },
  {
    code: 99991679,
    title: 'User has not granted the required scope',
    en: 'The user has not authorized the required scope; have the user authorize the app again with that scope.',
    zh: '用户尚未授予所需权限，请让用户重新授权该应用。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'grant-scope',
  },
  {
    code: 99991400,
    title: 'Rate limit exceeded',
    en: 'Too many requests (per app: 50 per second, 1000 per minute); wait a moment and try again.',
    zh: '请求过于频繁（每个应用每秒最多 50 次、每分钟最多 1000 次），请稍后再试。',
    docUrl: RATE_LIMIT_DOC_URL,
    retryable: true,
    action: 'retry-later',
    httpStatus: 429,
  },
  {
    code: 99991401,
    title: 'IP address not allowed',
    en: "This machine's IP address is not on the app's IP allowlist; add it in the developer console's security settings.",
    zh: '当前 IP 不在应用的 IP 白名单中，请在开发者后台的安全设置中添加。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'check-ip-allowlist',
  },
  {
    code: 99991403,
    title: 'Monthly API quota exhausted',
    en: "The tenant's monthly API call quota is used up; contact your tenant administrator.",
    zh: '本月的 API 调用额度已用完，请联系企业管理员。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'contact-admin',
  },
  {
    code: 99991662,
    title: 'App is disabled',
    en: 'This app is disabled or not enabled in your tenant; ask your tenant administrator to enable it.',
    zh: '应用已停用或未在企业内启用，请联系企业管理员启用。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'contact-admin',
  },
  {
    code: 99991673,
    title: 'App is unavailable',
    en: 'The app is currently unavailable (for example unpublished or deactivated); check its status in the developer console or ask your administrator.',
    zh: '应用当前不可用（如尚未发布或已停用），请在开发者后台检查应用状态或联系企业管理员。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'contact-admin',
  },
]);

// tenant_access_token failures come back as HTTP 200 with a non-zero code.
const AUTH = group('auth', [
  {
    code: 10003,
    title: 'Invalid parameter when requesting a token',
    en: 'The App ID or App Secret is empty or malformed; check the credentials in the settings.',
    zh: 'App ID 或 App Secret 为空或格式不正确，请检查设置中的凭证。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'check-credentials',
    httpStatus: 200,
  },
  {
    code: 10014,
    title: 'App ID does not exist',
    en: "Lark does not know this App ID; check it and the domain (Feishu apps don't work on Lark and vice versa).",
    zh: 'App ID 不存在，请检查 App ID 及所选域名（飞书应用与 Lark 应用不能混用）。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'check-credentials',
    httpStatus: 200,
  },
  {
    code: 10015,
    title: 'Wrong App Secret',
    en: 'The App Secret does not match this App ID; copy it again from the developer console.',
    zh: 'App Secret 与 App ID 不匹配，请从开发者后台重新复制。',
    docUrl: SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'check-credentials',
    httpStatus: 200,
  },
]);

const LOCAL = group('local', [
  {
    code: LocalCode.FileNotFound,
    title: 'File not found',
    en: 'The file does not exist; check the path.',
    zh: '文件不存在，请检查路径。',
    docUrl: README_ERRORS_URL,
    retryable: false,
    action: 'fix-file',
  },
  {
    code: LocalCode.NotAFile,
    title: 'Not a file',
    en: 'The path is a folder or a special file; choose an image file.',
    zh: '该路径不是普通文件（例如是文件夹），请选择图片文件。',
    docUrl: README_ERRORS_URL,
    retryable: false,
    action: 'fix-file',
  },
  {
    code: LocalCode.FileUnreadable,
    title: 'File cannot be read',
    en: 'The file could not be read; check its permissions and that no other program holds it locked.',
    zh: '无法读取文件，请检查文件权限，或确认文件未被其他程序占用。',
    docUrl: README_ERRORS_URL,
    retryable: false,
    action: 'fix-file',
  },
  {
    code: LocalCode.NetworkError,
    title: 'Network error',
    en: 'Could not reach the Lark server; check your network connection and proxy settings, then try again.',
    zh: '无法连接到飞书服务器，请检查网络连接和代理设置后重试。',
    docUrl: README_ERRORS_URL,
    retryable: true,
    action: 'check-network',
  },
  {
    code: LocalCode.Timeout,
    title: 'Request timed out',
    en: 'The Lark server did not answer in time; check your network connection and try again.',
    zh: '请求超时，请检查网络连接后重试。',
    docUrl: README_ERRORS_URL,
    retryable: true,
    action: 'check-network',
  },
  {
    code: LocalCode.BadResponse,
    title: 'Unexpected response from the server',
    en: 'The server did not answer like the Lark API; try again, and if it persists check the base URL and proxy settings.',
    zh: '服务器返回了无法识别的响应，请重试；如持续出现，请检查服务地址和代理设置。',
    docUrl: README_ERRORS_URL,
    retryable: true,
    action: 'check-settings',
  },
  {
    code: LocalCode.Cancelled,
    title: 'Upload cancelled',
    en: 'The upload was cancelled; start it again if you still need it.',
    zh: '上传已取消，如仍需上传请重新操作。',
    docUrl: README_ERRORS_URL,
    retryable: false,
    action: 'none',
  },
  {
    code: LocalCode.InsecureBaseUrl,
    title: 'Insecure base URL',
    en: 'The base URL must use https; correct it in the settings.',
    zh: '服务地址必须使用 HTTPS，请在设置中修改。',
    docUrl: README_ERRORS_URL,
    retryable: false,
    action: 'check-settings',
  },
  {
    code: LocalCode.RedirectRefused,
    title: 'Redirect refused',
    en: 'The server answered with a redirect, which is refused to keep the credentials safe; check the base URL in the settings.',
    zh: '为保护凭证安全，已拒绝服务器的重定向，请检查设置中的服务地址。',
    docUrl: README_ERRORS_URL,
    retryable: false,
    action: 'check-settings',
  },
  {
    code: LocalCode.MissingCredentials,
    title: 'Credentials missing',
    en: 'No App ID or App Secret is configured; set both in the settings first.',
    zh: '尚未配置 App ID 或 App Secret，请先在设置中填写。',
    docUrl: README_ERRORS_URL,
    retryable: false,
    action: 'check-credentials',
  },  {
    code: LocalCode.CertificateRejected,
    title: 'TLS certificate not accepted',
    en: "The server's TLS certificate is not trusted or names another host. If a corporate proxy or CA re-signs traffic, make its CA trusted (VS Code: the system certificates; the CLI: NODE_EXTRA_CA_CERTS); otherwise check the base URL.",
    zh: '服务器的 TLS 证书不受信任或与主机名不符。如公司代理或 CA 会重新签发证书，请信任该 CA（VS Code：系统证书；命令行：NODE_EXTRA_CA_CERTS）；否则请检查服务地址。',
    docUrl: README_ERRORS_URL,
    retryable: false,
    action: 'check-network',
  },

]);

function buildCatalog(): ReadonlyMap<number, ErrorInfo> {
  const map = new Map<number, ErrorInfo>();
  for (const info of [...UPLOAD, ...DOWNLOAD, ...GATEWAY, ...AUTH, ...LOCAL]) {
    if (map.has(info.code)) throw new Error(`duplicate error code in catalog: ${info.code}`);
    map.set(info.code, info);
  }
  return map;
}

export const ERROR_CATALOG: ReadonlyMap<number, ErrorInfo> = buildCatalog();

/** Codes on which the client drops its cached tenant token, refreshes once and retries once. */
export const TOKEN_ERROR_CODES: readonly number[] = [99991663, 99991664, 99991671];

function guessCategory(code: number): ErrorCategory {
  if (code >= 9000 && code <= 9999) return 'local';
  if (code >= 10000 && code <= 19999) return 'auth';
  if (code >= 230000 && code <= 239999) return 'upload';
  return 'gateway';
}

/** The catalog entry for `code`, or a generic entry (not retryable, contact support). */
export function describeError(code: number): ErrorInfo {
  const known = ERROR_CATALOG.get(code);
  if (known) return known;
  const category = guessCategory(code);
  return {
    code,
    title: `Lark error ${code}`,
    hint: {
      en: `Unexpected error ${code}; try again, and if it persists contact Lark support with the log ID.`,
      zhCn: `出现未知错误（${code}），请重试；如仍失败，请附上日志 ID（log ID）联系飞书技术支持。`,
    },
    docUrl: category === 'local' ? README_ERRORS_URL : SERVER_ERROR_CODES_DOC_URL,
    retryable: false,
    action: 'contact-support',
    category,
  };
}

export function isRetryable(code: number): boolean {
  return ERROR_CATALOG.get(code)?.retryable ?? false;
}

export function isTokenError(code: number): boolean {
  return TOKEN_ERROR_CODES.includes(code);
}

/**
 * A failure as one line (Problems panel, CLI): the reason once (the specific message, else the
 * catalog title), then what to do (the catalog hint, which never restates the reason).
 */
export function problemText(code: number, message: string, locale: string): string {
  return `${message.trim() || describeError(code).title} — ${hintFor(code, locale)}`;
}

/**
 * How a failed image download (GET /im/v1/images/:key) is worded. Lark answers 234001 when it
 * does not know the key; the catalog's upload wording of that code would mislead here.
 */
const DOWNLOAD_WORDING: ReadonlyMap<number, { title: string; hint: { en: string; zhCn: string } }> = new Map([
  [
    234001,
    {
      title: 'Lark does not know this image_key',
      hint: {
        en: 'Check that the key was copied whole and that it comes from the selected domain (Feishu or Lark).',
        zhCn: '请检查 image_key 是否完整复制，以及它是否来自所选域名（飞书或 Lark）。',
      },
    },
  ],
]);

/** "<title> (<code>). <hint>" for a failed download, in the locale's language. */
export function downloadFailureText(code: number, locale: string): string {
  const info = describeError(code);
  const wording = DOWNLOAD_WORDING.get(code) ?? info;
  return `${wording.title} (${code}). ${isChineseLocale(locale) ? wording.hint.zhCn : wording.hint.en}`;
}

/**
 * How the files API's limits are worded: the catalog's entries for these codes speak of images
 * (compress, shrink), which does not help with a 40 MB PDF.
 */
const FILE_API_WORDING: ReadonlyMap<number, { hint: { en: string; zhCn: string } }> = new Map([
  [
    234006,
    {
      hint: {
        en: 'Lark takes files of at most 30 MB; split or compress the file, or share it another way (for example a cloud document link).',
        zhCn: '飞书上传文件的大小上限为 30 MB，请拆分或压缩文件，或改用其他方式分享（例如云文档链接）。',
      },
    },
  ],
  [
    234010,
    {
      hint: {
        en: 'Lark does not take empty files; check that the file was saved completely.',
        zhCn: '飞书不接受空文件，请确认文件已完整保存。',
      },
    },
  ],
]);

/** The hint for a failed upload through the files API (the catalog's, unless the files API words it). */
export function fileApiHintFor(code: number, locale: string): string {
  const wording = FILE_API_WORDING.get(code);
  if (!wording) return hintFor(code, locale);
  return isChineseLocale(locale) ? wording.hint.zhCn : wording.hint.en;
}

/** Said when Lark rejects a static tenant_access_token (the extension and the CLI). */
const TOKEN_REJECTED = Object.freeze({
  en: 'Lark rejected the tenant access token: it has expired or is not valid. Set a new one, or use the App ID and App Secret instead so that tokens are refreshed automatically.',
  zhCn: 'Lark 拒绝了该 tenant_access_token：它已过期或无效。请设置新的 token，或改用 App ID 和 App Secret，以便自动刷新 token。',
});

export function tokenRejectedText(locale: string): string {
  return isChineseLocale(locale) ? TOKEN_REJECTED.zhCn : TOKEN_REJECTED.en;
}

/** True for Chinese locales ('zh', 'zh-cn', 'zh-CN', 'zh_CN', 'zh-Hans', also 'zh-tw'). */
export function isChineseLocale(locale: string): boolean {
  return /^zh(?:$|[-_])/i.test(locale.trim());
}

export function hintFor(code: number, locale: string): string {
  const { hint } = describeError(code);
  return isChineseLocale(locale) ? hint.zhCn : hint.en;
}

/** A secret as it may appear in text: raw, URL-encoded, base64 (padded or not, url-safe), JSON-escaped. */
function encodedForms(secret: string): string[] {
  const b64 = Buffer.from(secret, 'utf8').toString('base64');
  const forms = [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+'), b64, b64.replace(/=+$/, ''), Buffer.from(secret, 'utf8').toString('base64url'), JSON.stringify(secret).slice(1, -1)];
  // short derived forms could mask ordinary words; the raw secret is always masked
  return [secret, ...forms.slice(1).filter((f) => f !== secret && f.length >= 8)];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes secrets from text meant for users or logs: every occurrence of the given secrets,
 * `Bearer <token>` (kept as `Bearer ***`), tenant/user tokens (`t-…`/`u-…`, 16+ chars) and the
 * values of JSON/form fields named app_secret / *access_token.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  const list = [...new Set(secrets.filter((s) => typeof s === 'string' && s.length > 0).flatMap(encodedForms))].sort((a, b) => b.length - a.length);
  for (const secret of list) {
    out = out.replace(new RegExp(escapeRegExp(secret), 'g'), '***');
  }
  out = out.replace(/\bBearer\s+(?!\*\*\*)[^\s"',;]+/gi, 'Bearer ***');
  out = out.replace(/\b[tu]-[A-Za-z0-9_-]{16,}/g, '***');
  out = out.replace(
    /(["']?\b(?:app_secret|[a-z_]*access_token)\b["']?\s*[:=]\s*["']?)(?!\*\*\*)[^"'\s,;&}]+/gi,
    '$1***',
  );
  return out;
}

export interface UploadErrorExtra {
  logId?: string;
  httpStatus?: number;
  retryAfterMs?: number;
  troubleshooter?: string;
  permissionViolations?: unknown[];
  cause?: unknown;
}

/**
 * A failure with a Lark code or one of our LocalCode codes. The message is passed through
 * `redact` (generic patterns) once more as a safety net; callers still redact known secrets.
 */
export class UploadError extends Error {
  readonly code: number;
  readonly logId?: string;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  readonly troubleshooter?: string;
  readonly permissionViolations?: unknown[];

  constructor(code: number, message: string, extra: UploadErrorExtra = {}) {
    super(redact(message), extra.cause !== undefined ? { cause: extra.cause } : undefined);
    this.name = 'UploadError';
    this.code = code;
    if (extra.logId !== undefined) this.logId = extra.logId;
    if (extra.httpStatus !== undefined) this.httpStatus = extra.httpStatus;
    if (extra.retryAfterMs !== undefined) this.retryAfterMs = extra.retryAfterMs;
    if (extra.troubleshooter !== undefined) this.troubleshooter = extra.troubleshooter;
    if (extra.permissionViolations !== undefined) this.permissionViolations = extra.permissionViolations;
  }

  get info(): ErrorInfo {
    return describeError(this.code);
  }

  /**
   * The catalog decides for known codes. For a code the catalog does not know, an HTTP 429 or
   * 5xx answer counts as retryable.
   */
  get retryable(): boolean {
    if (ERROR_CATALOG.has(this.code)) return isRetryable(this.code);
    const s = this.httpStatus;
    return s === 429 || (s !== undefined && s >= 500 && s <= 599);
  }

  toJSON(): { code: number; message: string; logId?: string } {
    return this.logId !== undefined
      ? { code: this.code, message: this.message, logId: this.logId }
      : { code: this.code, message: this.message };
  }
}
