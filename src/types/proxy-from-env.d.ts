// proxy-from-env 2 ships no type declarations.
declare module 'proxy-from-env' {
  /** The proxy URL for `url` from the *_PROXY / NO_PROXY variables of process.env, '' for none. */
  export function getProxyForUrl(url: string | URL): string;
}
