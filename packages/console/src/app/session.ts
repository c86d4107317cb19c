/**
 * The API key of this tab: kept in sessionStorage (gone when the tab closes). A link
 * `/#key=KEY` signs in and the key is taken out of the address bar (and so out of the history).
 */
const STORAGE = 'brazen.console.key';

export function takeKeyFromAddress(): void {
  const match = /^#key=([^&]+)/.exec(location.hash);
  if (!match) return;
  sessionStorage.setItem(STORAGE, decodeURIComponent(match[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
}

export const storedKey = (): string | null => sessionStorage.getItem(STORAGE);
export const keepKey = (key: string): void => sessionStorage.setItem(STORAGE, key);
export const forgetKey = (): void => sessionStorage.removeItem(STORAGE);
