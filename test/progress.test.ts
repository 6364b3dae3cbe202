import { taskProgress, withTaskProgress, ProgressStream } from '../src/basic/progress';

/** A stream that records what is written, as a terminal or not. */
function recorder(isTTY: boolean): ProgressStream & { text(): string } {
  const chunks: string[] = [];
  return {
    isTTY,
    columns: 100,
    write(chunk: string | Uint8Array) {
      chunks.push(String(chunk));
      return true;
    },
    text: () => chunks.join(''),
  } as unknown as ProgressStream & { text(): string };
}

/** Whether the output ends as a stopped bar does: cursor shown again, then the line cleared. */
const stopped = (text: string) => text.includes('\x1B[?25h') && text.endsWith('\x1B[2K');

describe('taskProgress (bars of long CLI steps)', () => {
  const ci = process.env.CI;
  beforeAll(() => delete process.env.CI);
  afterAll(() => {
    if (ci !== undefined) process.env.CI = ci;
  });

  it('counts rows of unknown total, then clears the bar', () => {
    const out = recorder(true);
    const p = taskProgress('reading train.csv', { stream: out });
    p.update(8192);
    p.update(12000);
    p.stop();
    expect(out.text()).toMatch(/reading train\.csv \| 8,192 rows \| [\d,]+ rows\/s/);
    // on stop the cursor is shown again and the line cleared (like fit's bar)
    expect(stopped(out.text())).toBe(true);
  });

  it('shows a percentage and done/total when the total is known', () => {
    const out = recorder(true);
    const p = taskProgress('evaluating', { stream: out });
    p.update(4096, 10240);
    p.stop();
    expect(out.text()).toMatch(/evaluating \|.*\| 40% \| 4,096\/10,240 rows \| eta/);
  });

  it('draws nothing when disabled, off a terminal, or in CI', () => {
    const off = recorder(true);
    const p = taskProgress('x', { stream: off, enabled: false });
    p.update(1, 2);
    p.stop();
    const pipe = recorder(false);
    taskProgress('x', { stream: pipe }).update(1, 2);
    process.env.CI = 'true';
    const ciOut = recorder(true);
    taskProgress('x', { stream: ciOut }).update(1, 2);
    delete process.env.CI;
    expect([off.text(), pipe.text(), ciOut.text()]).toEqual(['', '', '']);
  });

  it('withTaskProgress removes the bar when the work fails', async () => {
    const out = recorder(true);
    await expect(
      withTaskProgress('encoding bad.csv', { stream: out }, async (p) => {
        p.update(10);
        throw new Error('row 11: bad value');
      }),
    ).rejects.toThrow('row 11: bad value');
    expect(out.text()).toMatch(/encoding bad\.csv \| 10 rows/);
    expect(stopped(out.text())).toBe(true);
  });
});
