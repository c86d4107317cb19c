import cliProgress from 'cli-progress';

/** Progress of long work on stderr: a bar on a terminal, a line every few seconds otherwise. */
export interface Progress {
  /** `milestone`: a step worth a line of its own (without a terminal, lines come at most every two
   * seconds otherwise). */
  update(done: number, detail?: string, milestone?: boolean): void;
  stop(): void;
}

export function progressBar(label: string, total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {detail} | {duration_formatted}`,
        stream,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { detail: '' });
    return {
      update: (done, detail = '') => bar.update(done, { detail }),
      stop: () => bar.stop(),
    };
  }
  const started = Date.now();
  let lastLine = 0;
  let printed = '';
  let last = { done: 0, detail: '' };
  const line = () => {
    const pct = total > 0 ? Math.floor((100 * last.done) / total) : 100;
    const text = `${label}: ${last.done}/${total} ${unit} (${pct}%)${last.detail ? `, ${last.detail}` : ''}`;
    if (text === printed) return;
    printed = text;
    stream.write(`${text}, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  };
  return {
    update(done, detail = '', milestone = false) {
      last = { done, detail };
      if (milestone || Date.now() - lastLine >= 2000) {
        lastLine = Date.now();
        line();
      }
    },
    stop() {
      line();
    },
  };
}
