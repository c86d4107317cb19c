import type { PageContext } from './context.ts';
import { fill, h } from './dom.ts';
import { instant } from './format.ts';
import { empty, panel } from './panel.ts';
import { href, withParams } from './route.ts';

export interface ListRow {
  id: string;
  name: string;
  tags: string[];
  lastEdited?: string;
  /** Words beside the name (API campaign, card type). */
  note?: string;
}

/**
 * A searchable list of campaigns, Canvases or cards. "Archived too" asks the list with
 * `include_archived`; the rows only the longer list has are marked archived.
 */
export function objectList(ctx: PageContext, options: { title: string; path: string; load: (includeArchived: boolean) => Promise<ListRow[]> }): HTMLElement {
  const archivedToo = ctx.route.params.get('archived') === '1';
  return panel(options.title, async (body) => {
    const [rows, active] = await Promise.all([options.load(archivedToo), archivedToo ? options.load(false) : Promise.resolve(undefined)]);
    const activeIds = active && new Set(active.map((r) => r.id));
    rows.sort((a, b) => (b.lastEdited ?? '').localeCompare(a.lastEdited ?? '') || a.name.localeCompare(b.name));
    const search = h('input', { type: 'search', placeholder: 'Search by name or tag', 'aria-label': `search ${options.title.toLowerCase()}` }) as HTMLInputElement;
    const archived = h('a', { class: 'toggle', href: withParams(ctx.route, { archived: archivedToo ? undefined : '1' }), 'aria-pressed': archivedToo ? 'true' : 'false' }, 'Archived too');
    const tbody = h('tbody');
    const count = h('p', { class: 'count', role: 'status' });
    const show = () => {
      const words = search.value.trim().toLowerCase();
      const shown = rows.filter((r) => !words || r.name.toLowerCase().includes(words) || r.tags.some((t) => t.toLowerCase().includes(words)));
      fill(
        tbody,
        ...shown.map((r) =>
          h(
            'tr',
            { 'data-id': r.id },
            h('td', {}, h('a', { href: href([options.path, r.id], ctx.route.params) }, r.name || r.id), r.note ? h('span', { class: 'note' }, r.note) : null,
              activeIds && !activeIds.has(r.id) ? h('span', { class: 'badge' }, 'archived') : null),
            h('td', { class: 'tags' }, ...r.tags.map((t) => h('span', { class: 'tag' }, t))),
            h('td', { class: 'when' }, r.lastEdited ? instant(r.lastEdited) : '—'),
          ),
        ),
      );
      count.textContent = `${shown.length} of ${rows.length}`;
    };
    search.addEventListener('input', show);
    show();
    if (rows.length === 0) return fill(body, h('div', { class: 'list-tools' }, archived), empty('Nothing here yet.'));
    fill(
      body,
      h('div', { class: 'list-tools' }, search, archived, count),
      h('div', { class: 'scroll' }, h('table', { class: 'list' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'name'), h('th', { scope: 'col' }, 'tags'), h('th', { scope: 'col' }, 'last edited'))), tbody)),
    );
  }, { wide: true });
}
