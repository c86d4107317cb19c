import { BrazeApiError } from '../client.ts';
import { Api } from '../api.ts';
import { h } from '../dom.ts';

/**
 * The sign-in form: a REST API key of this server. The key is tried on a KPI series: 200 or 403
 * (the key exists, without that permission) both mean it is known; 401 means it is not.
 */
export function signInForm(message: string | undefined, signedIn: (key: string) => void): HTMLElement {
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' }) as HTMLInputElement;
  const status = h('p', { class: 'status', role: 'status' }, message ?? '');
  const submit = async (event: Event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    status.textContent = 'Checking the key…';
    try {
      await new Api(key).client.request('kpiDauDataSeries', { length: 1 }, { retry: { attempts: 1 } });
      signedIn(key);
    } catch (error) {
      if (error instanceof BrazeApiError && error.status === 403) return signedIn(key);
      status.textContent = error instanceof BrazeApiError && error.status === 401 ? 'The server does not know this key.' : `Could not check the key: ${(error as Error).message}`;
      input.focus();
    }
  };
  const form = h(
    'form',
    { class: 'signin', onsubmit: submit },
    h('h1', {}, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'brazen console'),
    h('p', {}, 'The figures of this workspace, read from its Braze Export API with your REST API key.'),
    h('label', { for: 'key' }, 'REST API key'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    status,
    h('p', { class: 'hint' }, 'The key stays in this tab (sessionStorage) and goes to this server only. ', h('code', {}, 'npm start'), ' prints a link that signs in directly.'),
  );
  queueMicrotask(() => input.focus());
  return h('main', { class: 'signin-page' }, form);
}
