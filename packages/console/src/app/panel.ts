import { NeedsPermission, SignedOut } from './api.ts';
import { append, code, fill, h } from './dom.ts';

/** Sent to the window when the key turns out to be unknown; the shell shows the sign-in form. */
export const SIGNED_OUT_EVENT = 'brazen:signed-out';

/**
 * A titled part of a page that loads on its own: a panel whose permission the key lacks says
 * "needs `permission`", one that fails says why, and the others go on.
 */
export function panel(title: string, load: (body: HTMLElement) => Promise<void>, options: { wide?: boolean; id?: string } = {}): HTMLElement {
  const body = h('div', { class: 'panel-body' }, h('p', { class: 'loading' }, 'Loading…'));
  const section = h('section', { class: `panel${options.wide ? ' wide' : ''}`, 'aria-busy': 'true', id: options.id }, h('h2', {}, title), body);
  void settle(body, load).finally(() => section.setAttribute('aria-busy', 'false'));
  return section;
}

/** Runs `load` into `body`, turning a missing permission or a failure into a notice there. */
export async function settle(body: HTMLElement, load: (body: HTMLElement) => Promise<void>): Promise<void> {
  try {
    await load(body);
  } catch (error) {
    fill(body, notice(error));
  }
}

/** What a panel shows instead of its figures. */
export function notice(error: unknown): HTMLElement {
  if (error instanceof NeedsPermission) {
    // A long name may break after its dots, never inside a word.
    const name = code('');
    error.permission.split('.').forEach((part, i) => append(name, i > 0 ? '.' : '', i > 0 ? h('wbr') : null, part));
    return h('p', { class: 'needs', 'data-needs': error.permission }, 'needs ', name, h('span', { class: 'hint' }, ' (this API key lacks that permission)'));
  }
  if (error instanceof SignedOut) {
    window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT));
    return h('p', { class: 'error', role: 'alert' }, 'This API key is not known to the server.');
  }
  return h('p', { class: 'error', role: 'alert' }, `Could not load: ${error instanceof Error ? error.message : String(error)}`);
}

/** A line saying there is nothing to show. */
export const empty = (text: string): HTMLElement => h('p', { class: 'empty' }, text);
