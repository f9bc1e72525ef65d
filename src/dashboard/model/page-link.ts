/**
 * What the page's own URL says: when `zdfu serve` opens the dashboard it puts its token in the
 * fragment (`#token=…`, never sent to any server) and serves the page itself, so its address is
 * the bridge's. Pure: takes the location's parts.
 */
export interface ServeHint {
  /** The bridge's base URL when the page came from it (http: or https: page), else undefined. */
  readonly url: string | undefined;
  readonly token: string | undefined;
}

export function serveHintFrom(location: { readonly href: string; readonly hash: string }): ServeHint {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token')?.trim() || undefined;
  let url: string | undefined;
  try {
    const page = new URL(location.href);
    if (token && (page.protocol === 'http:' || page.protocol === 'https:')) url = page.origin;
  } catch {
    url = undefined;
  }
  return { url, token };
}

/** The page's address without the token, so the token does not stay in the address bar or history. */
export function withoutToken(href: string): string {
  const url = new URL(href);
  const params = new URLSearchParams(url.hash.replace(/^#/, ''));
  params.delete('token');
  const rest = params.toString();
  url.hash = rest ? `#${rest}` : '';
  return url.toString();
}

/**
 * The URL `zdfu serve` prints carries its token (`http://127.0.0.1:8117/#token=…`): pasted whole
 * into the URL field, it fills both fields. Undefined when the text has no token.
 */
export function splitPrintedServeUrl(text: string): { url: string; token: string } | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  const token = new URLSearchParams(url.hash.replace(/^#/, '')).get('token')?.trim();
  if (!token) return undefined;
  return { url: url.origin, token };
}
