import type { PageContext } from '../context.ts';
import { eachLimited } from '../api.ts';
import { timeChart } from '../chart.ts';
import { append, fill, h } from '../dom.ts';
import { figure, instant, timeLabel } from '../format.ts';
import { empty, notice, panel } from '../panel.ts';
import { endingAt } from '../period.ts';
import { href } from '../route.ts';

export function segmentsPage(ctx: PageContext): HTMLElement {
  ctx.title('Segments');
  return panel('Segments', async (body) => {
    const segments = await ctx.api.items('segmentsList');
    if (segments.length === 0) return fill(body, empty('No segments yet.'));
    const sizes = segments.map((s) => h('td', { class: 'num', 'data-size': s.id }, s.analytics_tracking_enabled ? '…' : 'not tracked'));
    fill(
      body,
      h('div', { class: 'scroll' }, h('table', { class: 'list' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'segment'), h('th', { scope: 'col' }, 'tags'), h('th', { scope: 'col', class: 'num' }, 'size at the end of the period'))),
        h('tbody', {}, ...segments.map((s, i) => h('tr', { 'data-id': s.id },
          h('td', {}, h('a', { href: href(['segments', s.id], ctx.route.params) }, s.name)),
          h('td', { class: 'tags' }, ...(s.tags ?? []).map((t) => h('span', { class: 'tag' }, t))),
          sizes[i]))))),
    );
    // Sizes only for tracked segments: Braze answers the others with an error.
    await eachLimited(segments.map((s, i) => [s, sizes[i]] as const).filter(([s]) => s.analytics_tracking_enabled), 4, async ([s, cell]) => {
      try {
        const { data } = await ctx.api.call('segmentsDataSeries', { segment_id: s.id, length: 1, ...endingAt(ctx.period) });
        cell.textContent = figure(data[data.length - 1]?.size ?? 0);
        cell.dataset.value = String(data[data.length - 1]?.size ?? 0);
      } catch (error) {
        fill(cell, notice(error));
      }
    });
  }, { wide: true });
}

export function segmentPage(ctx: PageContext): HTMLElement {
  const id = ctx.route.parts[1];
  ctx.title('Segment');
  const details = ctx.api.call('segmentsDetails', { segment_id: id });
  details.then((d) => ctx.title(d.name), () => undefined);

  const about = panel('About', async (body) => {
    const d = await details;
    fill(body, h('p', { class: 'description' }, d.description ?? ''), h('dl', { class: 'facts' },
      h('dt', {}, 'size tracked daily'), h('dd', {}, d.analytics_tracking_enabled ? 'yes' : 'no'),
      h('dt', {}, 'tags'), h('dd', {}, (d.tags ?? []).join(', ') || '—'),
      h('dt', {}, 'created'), h('dd', {}, instant(d.created_at)),
      h('dt', {}, 'last edited'), h('dd', {}, instant(d.updated_at))));
  });

  const sizes = panel('Size over time', async (body) => {
    const d = await details;
    if (!d.analytics_tracking_enabled) return fill(body, empty('This segment does not have analytics tracking, so its size is not kept day by day.'));
    const points = await ctx.api.series('segmentsDataSeries', { segment_id: id, length: ctx.period.days, ...endingAt(ctx.period) });
    const last = points[points.length - 1];
    fill(
      body,
      h('p', { class: 'headline' }, h('strong', { 'data-stat': 'size', 'data-value': last?.size ?? 0, 'data-time': last?.time ?? '' }, figure(last?.size ?? 0)),
        ` users on ${last ? timeLabel(last.time, true) : '—'}`),
      timeChart({ times: points.map((p) => p.time), series: [{ label: 'size', values: points.map((p) => p.size) }], label: 'Users in the segment at the end of each day', height: 220 }),
    );
  }, { wide: true });

  return h('div', { class: 'detail' }, about, sizes, exportPanel(ctx, id));
}

/** Starts an export of the segment's users, follows it, and offers the file when it is written. */
function exportPanel(ctx: PageContext, segmentId: string): HTMLElement {
  return panel('Export its users', async (body) => {
    const status = h('p', { class: 'status', role: 'status' });
    const button = h('button', { type: 'button' }, 'Export users (zip of NDJSON)') as HTMLButtonElement;
    button.addEventListener('click', async () => {
      button.disabled = true;
      status.textContent = 'Starting the export…';
      try {
        const job = await ctx.api.call('usersExportSegment', { segment_id: segmentId, output_format: 'zip' });
        if (!job.url) {
          status.textContent = `Export ${job.object_prefix} started; its files go to the workspace's S3 bucket.`;
          return;
        }
        await follow(ctx, job.object_prefix, job.url, status);
        append(body, h('p', {}, h('a', { class: 'download', href: job.url, download: `${job.object_prefix}.zip` }, `Download ${job.object_prefix}.zip`)));
      } catch (error) {
        fill(status, notice(error));
      } finally {
        button.disabled = false;
      }
    });
    fill(body, h('p', {}, 'Every user of the segment, every field, as Braze exports them: newline-delimited JSON files, zipped.'), button, status);
  });
}

/** Waits for the export: through /admin/exports when the key may read it (files written so far), else by asking the URL. */
async function follow(ctx: PageContext, prefix: string, url: string, status: HTMLElement): Promise<void> {
  const ws = await ctx.workspace;
  for (let wait = 300; ; wait = Math.min(2_000, wait * 1.5)) {
    if (!ws.needs) {
      const job = (await ctx.api.call('adminExports', {})).exports.find((j) => j.object_prefix === prefix);
      if (job?.status === 'done') break;
      if (job?.status === 'failed' || job?.status === 'cancelled') throw new Error(`the export ${job.status}${job.error ? `: ${job.error}` : ''}`);
      status.textContent = job?.files ? `Writing files: ${job.files_done} of ${job.files} (${figure(job.users ?? 0)} users)…` : `Export ${job?.status ?? 'pending'}…`;
    } else {
      // HEAD answers 404 until the files are there.
      if ((await fetch(url, { method: 'HEAD' })).ok) break;
      status.textContent = 'Exporting…';
    }
    await new Promise((done) => setTimeout(done, wait));
  }
  status.textContent = 'The export is ready.';
}
