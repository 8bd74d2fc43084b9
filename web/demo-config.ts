/** What the page's models/demo.json holds. Browser-safe (types only). */

/** One shipped model, as scripts/demo-models.ts measured it (web/models/models.json). */
export interface DemoModelInfo {
  file: string;
  about: string;
  cell: string;
  hidden: number;
  values: 'fp16' | 'int8';
  /** Bytes of the .srnz file. */
  bytes: number;
  /** Bytes of the same model's weights as dense fp32. */
  dense_fp32_bytes: number;
  /** Fraction of the recurrent layers' ih + hh weights pruned. */
  sparsity_ih_hh: number;
  /** 'bpc' (LM) or 'accuracy' (classifier), of the exported file on the data set's splits. */
  metric: string;
  valid: number;
  test: number;
  /** The commands that made it. */
  commands: string[];
}

export interface DemoConfig {
  lm: { model: string; prime: string; length: number; temperature: number; seed: number };
  /** digit: a held-out MNIST test image, 28 steps of 28 features (row by row), values in [0, 1]. */
  cls: { model: string; digit: number[] };
  /** models.json: sizes and valid/test figures per model (absent for hand-made configs). */
  info?: Partial<Record<'lm' | 'cls', DemoModelInfo>>;
}
