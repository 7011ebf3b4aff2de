// The official SDK (@larksuiteoapi/node-sdk 1.74.0) as the benchmark peer, used the way its
// README shows: client.im.image.create({ data: { image_type, image: fs.createReadStream(path) } }).
// Each client gets its OWN token cache: the SDK's default cache is process-global and keyed by
// app id, so a second client against a fresh stand-in server would reuse a token that server
// never issued. The logger is silenced (it logs every failed request at error level).
import * as fs from 'fs';
import * as lark from '@larksuiteoapi/node-sdk';

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, trace: () => undefined };

export function sdkClient(baseUrl: string, appId: string, appSecret: string): lark.Client {
  return new lark.Client({
    appId,
    appSecret,
    domain: baseUrl, // a string URL is used as is (formatDomain only maps the Domain enum)
    cache: new lark.DefaultCache(),
    logger: silent,
    loggerLevel: lark.LoggerLevel.fatal,
  });
}

/** One upload; the image_key, or undefined when the SDK threw (e.g. HTTP 429) or code ≠ 0. */
export async function sdkUpload(client: lark.Client, file: string): Promise<string | undefined> {
  try {
    const data = await client.im.image.create({ data: { image_type: 'message', image: fs.createReadStream(file) } });
    const key = data?.image_key;
    return typeof key === 'string' && key ? key : undefined;
  } catch {
    return undefined;
  }
}
