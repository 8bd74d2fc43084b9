/**
 * Built-in studies. Raw spec objects (the same shape as a YAML spec), validated by
 * parseStudySpec like any user spec.
 *
 * quick  the README's main job: every cell (rnn, lstm, gru), both techniques (agp,
 *        narang) on ih, hh and both, against dense, with small-dense baselines, on a
 *        slice of Moby-Dick (characters). Budgeted to finish in under 10 minutes on
 *        2 cores with 2 workers; measured numbers are in docs/study.md.
 * paper  the full grid: 3 seeds, sparsities 0.5–0.95, dense / oneShot / agp / narang on
 *        ih / hh / both, small-dense baselines for every target. Hours on 2 cores:
 *        `sparse-rnn study --preset paper --dry-run` prints the estimate.
 */
export const PRESETS = {
  quick: {
    name: 'quick',
    tasks: [{
      name: 'moby-char',
      // 300,000 training characters; valid and test are the whole 60,870-character splits.
      data: { name: 'moby-dick', level: 'char', limit: 300_000 },
      model: { hidden: 64, embedDim: 32 },
      epochs: 3,
      batch: 32,
      bptt: 50,
      optimizer: { kind: 'adam', lr: 0.008, clip: 1 },
      evalBatches: 0,
    }],
    cells: ['rnn', 'lstm', 'gru'],
    methods: ['dense', 'agp', 'narang'],
    targets: ['ih', 'hh', 'both'],
    sparsities: [0.5, 0.8, 0.95],
    seeds: [1, 2],
    smallDense: ['both'],
    schedule: { begin: 0.1, end: 0.6, every: 0.025, rampAt: 0.2, oneShotAt: 0.5, rampSlopeMult: 2, power: 3 },
  },
  paper: {
    name: 'paper',
    tasks: [{
      name: 'moby-char',
      data: { name: 'moby-dick', level: 'char' },
      model: { hidden: 256, embedDim: 64 },
      epochs: 6,
      batch: 32,
      bptt: 100,
      optimizer: { kind: 'adam', lr: 0.002, clip: 1 },
      evalBatches: 0,
    }],
    cells: ['rnn', 'lstm', 'gru'],
    methods: ['dense', 'oneShot', 'agp', 'narang'],
    targets: ['ih', 'hh', 'both'],
    sparsities: [0.5, 0.7, 0.8, 0.9, 0.95],
    seeds: [1, 2, 3],
    smallDense: ['ih', 'hh', 'both'],
    schedule: { begin: 0.1, end: 0.6, every: 0.02, rampAt: 0.2, oneShotAt: 0.5, rampSlopeMult: 2, power: 3 },
  },
} as const;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
