/** Prints the bench tables and computes the goal checks that go into hpo.json's summary. */
import { compare, fmtCell, table } from './report.js';
import type { Comparison, Samples, Summary } from './report.js';
import type { FidelitySummary } from './fidelity.js';
import { median } from './stats.js';

export interface ReportInput {
  samples: Record<string, Record<string, Samples>>;
  summaries: Record<string, Record<string, Summary>>;
  budgets: number[];
  synthetic: string[];
  tabular: string[];
  liveStatus: string;
  fidelity: FidelitySummary;
}

const GATE = 11; // the first 11 synthetic functions are the gate set; shifted copies have no stored runs

export function printReport(r: ReportInput): { comparisons: Comparison[]; summary: Record<string, unknown> } {
  const problems = [...r.synthetic, ...r.tabular].filter((p) => r.summaries[p]);
  console.log(
    `\nMedian log10 simple regret [IQR] (floor −8), anytime = mean log10 regret over t≤100, ms per suggestion`,
  );
  for (const p of problems) {
    const rows = Object.entries(r.summaries[p]!).map(([algo, s]) => [
      algo,
      ...r.budgets.map((b) => fmtCell(s.at[b])),
      s.anytime100 === null ? '·' : s.anytime100.toFixed(2),
      s.msAt100 === null ? '·' : s.msAt100.toFixed(2),
      s.msAt200 === null ? '·' : s.msAt200.toFixed(2),
    ]);
    console.log(`\n${p}`);
    console.log(table(['algorithm', ...r.budgets.map((b) => `N=${b}`), 'anytime', 'ms@100', 'ms@200'], rows));
  }

  const S = (p: string, a: string): [string, Samples | undefined] => [a, r.samples[p]?.[a]];
  const comparisons: Comparison[] = [];
  const push = (c: Comparison | null): Comparison | null => (c && comparisons.push(c), c);

  // Gate: our TPE against the better (lower median at N=100) of stored Optuna v5 TPE and v4.5 TPE.
  const gate = r.synthetic.slice(0, GATE).filter((p) => r.samples[p]?.tpe);
  let matches = 0;
  let beats = 0;
  let gateProblems = 0;
  for (const p of gate) {
    const cands = ['stored:optuna-v5:tpe', 'stored:optuna-v4.5:tpe'].filter(
      (a) => r.samples[p]?.[a]?.at[100]?.length,
    );
    if (cands.length === 0) continue;
    const best = cands.sort(
      (a, b) => median(r.samples[p]![a]!.at[100]!) - median(r.samples[p]![b]!.at[100]!),
    )[0]!;
    const c = push(compare(p, S(p, 'tpe'), S(p, best), 100));
    if (!c) continue;
    gateProblems++;
    if (c.verdict !== 'lose') matches++;
    if (c.verdict === 'win') beats++;
  }
  const pairs: [string, string][] = [
    ['tpe', 'optuna-3.1:tpe'],
    ['tpe-indep', 'optuna-3.1:tpe'],
    ['random', 'optuna-3.1:random'],
    ['gp', 'stored:optuna-v4.5:gp'],
    ['tpe', 'stored:optuna-v4.5:tpe_mv'],
    ['tpe', 'stored:optuna-v3.1:cmaes'],
    ['gp', 'tpe'],
    ['tpe', 'random'],
    ['tpe-indep', 'random'],
    ['gp', 'random'],
  ];
  for (const p of problems) for (const [a, b] of pairs) push(compare(p, S(p, a), S(p, b), 100));

  const modelVsRandom: Record<string, { problems: number; beats: number; notBeaten: string[] }> = {};
  for (const c of comparisons.filter((c) => c.baseline === 'random')) {
    const m = (modelVsRandom[c.ours] ??= { problems: 0, beats: 0, notBeaten: [] });
    m.problems++;
    if (c.verdict === 'win') m.beats++;
    else m.notBeaten.push(c.problem);
  }
  const vs = (a: string, b: string): Comparison[] =>
    comparisons.filter((c) => c.ours === a && c.baseline === b);
  const tally = (cs: Comparison[]): string =>
    `win ${cs.filter((c) => c.verdict === 'win').length} / match ${cs.filter((c) => c.verdict === 'match').length} / lose ${cs.filter((c) => c.verdict === 'lose').length}`;

  console.log(
    `\nWin/match/lose at N=100 (hpo.md §5.4: win = lower median and Mann–Whitney p<0.05; match = within +0.1)`,
  );
  const shown = comparisons.filter((c) => !c.baseline.startsWith('random') && c.baseline !== 'random');
  console.log(
    table(
      ['problem', 'ours', 'baseline', 'ours med', 'base med', 'p', 'verdict'],
      shown.map((c) => [
        c.problem,
        c.ours,
        c.baseline,
        c.oursMedian.toFixed(2),
        c.baselineMedian.toFixed(2),
        c.p.toFixed(3),
        c.verdict,
      ]),
    ),
  );
  const h6 = comparisons.find((c) => c.problem === 'hartmann6' && c.ours === 'gp' && c.baseline === 'tpe');
  const summary = {
    tpe_vs_optuna_tpe: {
      problems: gateProblems,
      matches,
      beats,
      baseline: 'better of stored Optuna v5 TPE and v4.5 TPE, N=100',
    },
    tpe_vs_optuna31_live: tally(vs('tpe', 'optuna-3.1:tpe')),
    gp_vs_optuna45_gp: tally(vs('gp', 'stored:optuna-v4.5:gp')),
    gp_beats_tpe_on_hartmann6: h6 ? h6.verdict === 'win' : null,
    model_based_vs_random: modelVsRandom,
    optuna_live: r.liveStatus,
    fidelity: r.fidelity.goal,
  };
  console.log(`\nGoal checks`);
  console.log(
    `  TPE vs best of Optuna v5/v4.5 TPE (N=100, ${gateProblems} functions): matches ${matches} (goal ≥10), beats ${beats} (goal ≥4)`,
  );
  console.log(`  TPE vs Optuna 3.1 TPE live: ${summary.tpe_vs_optuna31_live}`);
  console.log(`  GP vs Optuna v4.5 GP (stored): ${summary.gp_vs_optuna45_gp}`);
  console.log(`  GP beats TPE on hartmann6: ${String(summary.gp_beats_tpe_on_hartmann6)}`);
  for (const [a, m] of Object.entries(modelVsRandom)) {
    console.log(
      `  ${a} beats random on ${m.beats}/${m.problems}${m.notBeaten.length ? ` (not: ${m.notBeaten.join(', ')})` : ''}`,
    );
  }
  r.fidelity.print();
  return { comparisons, summary };
}
