/** Prints bench/results/hpo.json as the Markdown tables used in docs/tuning.md: `npx tsx bench/hpo/markdown.ts`. */
import { readFileSync } from 'node:fs';

interface Cell {
  median: number;
  q25: number;
  q75: number;
}
interface Summary {
  at: Record<string, Cell | null>;
  anytime100: number | null;
  msAt100: number | null;
  msAt200: number | null;
}
interface Comparison {
  problem: string;
  ours: string;
  baseline: string;
  oursMedian: number;
  baselineMedian: number;
  p: number;
  verdict: string;
}
const file = process.argv[2] ?? 'bench/results/hpo.json';
const r = JSON.parse(readFileSync(file, 'utf8')) as {
  command: string;
  wallSeconds: number;
  config: Record<string, unknown>;
  results: Record<string, Record<string, Summary>>;
  comparisons: Comparison[];
  fidelity: Record<
    string,
    {
      targetLog10Regret: number;
      units: Record<string, { medianUnits: number | null; finalLog10Regret: number }>;
    }
  >;
  summary: Record<string, unknown>;
};

const cols = [
  'random',
  'tpe',
  'gp',
  'optuna-3.1:random',
  'optuna-3.1:tpe',
  'optuna-3.1:cmaes',
  'stored:optuna-v5:tpe',
  'stored:optuna-v4.5:tpe',
  'stored:optuna-v4.5:tpe_mv',
  'stored:optuna-v4.5:gp',
];
const f = (v: number | null | undefined, d = 2): string =>
  v === null || v === undefined ? '·' : v.toFixed(d);
const md = (header: string[], rows: string[][]): string =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');

console.log(`Command: \`${r.command}\` (${Math.round(r.wallSeconds / 60)} min on this machine).\n`);
for (const budget of ['50', '100', '200']) {
  console.log(`Median log10 simple regret at N=${budget} (lower is better; · = not run):\n`);
  const rows = Object.entries(r.results).map(([p, algos]) => [
    p,
    ...cols.map((c) => f(algos[c]?.at[budget]?.median)),
  ]);
  console.log(md(['problem', ...cols.map((c) => c.replace('stored:', 'stored '))], rows) + '\n');
}
console.log('IQR at N=100 and anytime mean (t ≤ 100) for ours:\n');
console.log(
  md(
    ['problem', ...['random', 'tpe', 'gp'].flatMap((a) => [`${a} N=100 [IQR]`, `${a} anytime`])],
    Object.entries(r.results).map(([p, algos]) => [
      p,
      ...['random', 'tpe', 'gp'].flatMap((a) => {
        const c = algos[a]?.at['100'];
        return [c ? `${f(c.median)} [${f(c.q25)}, ${f(c.q75)}]` : '·', f(algos[a]?.anytime100)];
      }),
    ]),
  ) + '\n',
);
console.log('ms per suggestion (mean of trials 91–100 / 191–200):\n');
console.log(
  md(
    ['problem', 'tpe @100', 'tpe @200', 'gp @100', 'gp @200', 'optuna-3.1 tpe @100', 'optuna-3.1 tpe @200'],
    Object.entries(r.results).map(([p, a]) => [
      p,
      f(a.tpe?.msAt100),
      f(a.tpe?.msAt200),
      f(a.gp?.msAt100),
      f(a.gp?.msAt200),
      f(a['optuna-3.1:tpe']?.msAt100),
      f(a['optuna-3.1:tpe']?.msAt200),
    ]),
  ) + '\n',
);
console.log(
  'Win/match/lose at N=100 (win = lower median and one-sided Mann–Whitney p < 0.05; match = within +0.1):\n',
);
console.log(
  md(
    ['problem', 'ours', 'baseline', 'ours', 'baseline', 'p', 'verdict'],
    r.comparisons.map((c) => [
      c.problem,
      c.ours,
      c.baseline,
      f(c.oursMedian),
      f(c.baselineMedian),
      f(c.p, 3),
      c.verdict,
    ]),
  ) + '\n',
);
console.log(
  'Multi-fidelity: median resource units to reach the target regret (final log10 regret at 2700 units):\n',
);
const fa = ['random-full', 'hyperband', 'asha', 'random+median', 'random+sha'];
console.log(
  md(
    ['problem', 'target', ...fa],
    // run.ts stores the fidelity summary object, whose data sits under `goal`.
    Object.entries((r.fidelity as { goal?: typeof r.fidelity }).goal ?? r.fidelity).map(([p, g]) => [
      p,
      f(g.targetLog10Regret),
      ...fa.map((a) => `${g.units[a]?.medianUnits ?? '>2700'} (${f(g.units[a]?.finalLog10Regret)})`),
    ]),
  ) + '\n',
);
console.log('Summary:\n\n```json\n' + JSON.stringify(r.summary, null, 1) + '\n```');
