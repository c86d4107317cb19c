import type { PageContext } from '../context.ts';
import { code, fill, h } from '../dom.ts';
import { instant } from '../format.ts';
import { empty, notice, panel, settle } from '../panel.ts';
import { ALL_PERMISSIONS } from '../permissions.ts';

/** The API keys of the workspace, and a form to make one (its key is shown once). */
export function keysPage(ctx: PageContext): HTMLElement {
  ctx.title('API keys');
  const list = h('div', { class: 'panel-body' });
  const loadList = () =>
    settle(list, async () => {
      const { api_keys: keys } = await ctx.api.call('adminListApiKeys', {});
      if (keys.length === 0) return fill(list, empty('No keys yet.'));
      fill(list, h('div', { class: 'scroll' }, h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'name'), h('th', { scope: 'col' }, 'permissions'), h('th', { scope: 'col' }, 'created'))),
        h('tbody', {}, ...keys.map((k) => h('tr', { 'data-key-name': k.name },
          h('td', {}, k.name),
          h('td', { class: 'permissions' }, ...(k.permissions.length === ALL_PERMISSIONS.length ? ['every permission'] : codes(k.permissions))),
          h('td', { class: 'when' }, instant(k.created_at))))))));
    });
  void loadList();
  return h('div', { class: 'detail' }, h('section', { class: 'panel wide' }, h('h2', {}, 'Keys'), list), createPanel(ctx, loadList));
}

function createPanel(ctx: PageContext, created: () => void): HTMLElement {
  return panel('Make a key', async (body) => {
    const name = h('input', { id: 'key-name', required: true, placeholder: 'dashboards' }) as HTMLInputElement;
    const boxes = ALL_PERMISSIONS.map((p) => h('input', { type: 'checkbox', value: p, id: `perm-${p}` }) as HTMLInputElement);
    const result = h('div', { role: 'status' });
    const pick = (test: (p: string) => boolean) => () => boxes.forEach((b) => (b.checked = test(b.value)));
    const submit = async (event: Event) => {
      event.preventDefault();
      const permissions = boxes.filter((b) => b.checked).map((b) => b.value);
      try {
        const made = await ctx.api.call('adminCreateApiKey', { name: name.value.trim(), permissions });
        const value = h('output', { class: 'secret', 'data-key': made.key }, made.key);
        fill(result, h('div', { class: 'once' },
          h('p', {}, h('strong', {}, `Key “${made.name}”`), ' — copy it now: it is shown once and kept only as a hash.'),
          value,
          h('button', { type: 'button', onclick: () => void navigator.clipboard?.writeText(made.key) }, 'Copy'),
          h('p', {}, 'Permissions: ', ...codes(made.permissions))));
        created();
      } catch (error) {
        fill(result, notice(error));
      }
    };
    fill(body, h('form', { class: 'make-key', onsubmit: submit },
      h('label', { for: 'key-name' }, 'Name'), name,
      h('fieldset', {}, h('legend', {}, 'Permissions'),
        h('div', { class: 'presets' },
          h('button', { type: 'button', onclick: pick((p) => /\.(data_series|list|details|data_summary|revenue_series|quantity_series|product_list)$/.test(p)) }, 'Read figures'),
          h('button', { type: 'button', onclick: pick(() => true) }, 'Everything'),
          h('button', { type: 'button', onclick: pick(() => false) }, 'None')),
        h('div', { class: 'checks' }, ...boxes.map((b) => h('label', { for: b.id }, b, ' ', code(b.value))))),
      h('button', { type: 'submit' }, 'Make the key')), result);
  });
}

/** Permission names as code, separated by commas. */
const codes = (names: string[]): Array<string | HTMLElement> => names.flatMap((p, i) => (i ? [', ', code(p)] : [code(p)]));
